FROM python:3.12.7-slim
ARG DJANGO_VERSION=5.1.2
RUN pip install --no-cache-dir \
        requests==2.32.3 \
        'urllib3~=2.2' \
        'wheel<0.46' \
        'certifi>=2024.8,<2025' \
        "django==${DJANGO_VERSION}" \
        'tomli==2.0.1; python_version < "3.11"' \
        "mypkg @ https://example.com/mypkg-1.0.tar.gz" \
        $EXTRA
# Requirements files, constraints, local paths, wheels and URLs are not reported.
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir -e . \
    && pip install --no-cache-dir ./dist/app-1.0-py3-none-any.whl /src/lib \
    && pip install --no-cache-dir -c constraints.txt requests \
    && PIP_CONSTRAINT=constraints.txt pip install flask \
    && pip install git+https://github.com/example/tool@v1.2.3 \
    && pip download --dest /wheels requests \
    && pip --version
FROM python:3.12.7-slim AS constrained
ENV PIP_CONSTRAINT=/constraints.txt
RUN pip install --no-cache-dir httpx
USER 10001
