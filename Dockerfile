# hashdir server image. Not built in this project's CI (no Docker engine there); kept in step with
# scripts/lib.sh (same Debian packages, same JVM flags).
#
#   docker build -t hashdir .
#   docker run -p 5555:5555 -p 8080:8080 -v hashdir-data:/data hashdir
#
# Temurin 25 comes from the official image; HDF5 1.10.8 from Debian bookworm, as on the dev machines.
FROM eclipse-temurin:25-jdk AS jdk

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends maven libhdf5-dev gcc \
 && rm -rf /var/lib/apt/lists/*
COPY --from=jdk /opt/java/openjdk /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:$PATH
WORKDIR /src
COPY . .
RUN MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" mvn -B -ntp -q package -DskipTests -pl server -am

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhdf5-103-1 hdf5-tools \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data hashdir && mkdir -p /data && chown hashdir /data
COPY --from=jdk /opt/java/openjdk /opt/java/openjdk
COPY --from=build /src/server/target/hashdir-server.jar /opt/hashdir/hashdir-server.jar
COPY --from=build /src/server/target/lib /opt/hashdir/lib
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:$PATH
USER hashdir
VOLUME /data
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-Dmsgpack.universal-buffer=true", "-XX:PerMethodTrapLimit=0", \
            "-cp", "/opt/hashdir/hashdir-server.jar:/opt/hashdir/lib/*", "dev.hashdir.server.cli.Main"]
CMD ["serve", "--data", "/data"]
