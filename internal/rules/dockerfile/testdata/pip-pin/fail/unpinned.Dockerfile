FROM python:3.12.7-slim
# --upgrade pip is an unpinned install of pip; a lower bound alone lets any release in.
# want DF-0009 "pip install does not pin the version of \"pip\", \"requests>=2.0\" \\(write NAME==VERSION\\)"
RUN pip install --no-cache-dir --upgrade pip 'requests>=2.0' flask==3.0.3
RUN set -eux; \
    # want DF-0009 "pip install does not pin the version of \"uvicorn\\[standard\\]\""
    python3 -m pip install --no-cache-dir -r requirements.txt 'uvicorn[standard]'; \
    # want DF-0009 "of \"gunicorn\""
    pip3.12 install --index-url https://pypi.example.com/simple --user gunicorn
USER 10001
