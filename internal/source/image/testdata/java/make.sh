#!/bin/bash
# Copies small real jars from Debian's packages (apt-get install -y libslf4j-java
# libplexus-component-annotations-java libatinject-jsr330-api-java libaopalliance-java)
# and writes expected.txt: JAR GROUP:ARTIFACT VERSION from each pom.properties in it, as
# unzip reads them, or "JAR -" for a jar with none (its manifest and name tell).
set -euo pipefail
rm -f ./*.jar
for j in slf4j-nop-1.7.32 jul-to-slf4j-1.7.32 plexus-component-annotations-2.1.1 atinject-jsr330-api-1.0 aopalliance-1.0; do
	cp -L "/usr/share/java/$j.jar" .
done
for j in *.jar; do
	poms=$(unzip -Z1 "$j" | grep -E '^META-INF/maven/[^/]+/[^/]+/pom.properties$' || true)
	[ -z "$poms" ] && echo "$j -"
	for p in $poms; do
		unzip -p "$j" "$p" | tr -d '\r' | awk -v j="$j" -F= '/^groupId=/{g=$2} /^artifactId=/{a=$2} /^version=/{v=$2} END{print j, g ":" a, v}'
	done
done | sort >expected.txt
