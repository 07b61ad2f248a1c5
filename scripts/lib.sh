# Shared set-up for ./hashdir and ./run-tests: Debian packages, JDK 25 selection, the Maven build.
# Sourced, not run. Every function fails with a message saying what to do.

HASHDIR_ROOT="${HASHDIR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

hashdir_die() {
    echo "hashdir: $*" >&2
    exit 1
}

# Debian packages each use needs. runtime: the HDF5 library and tools; test: also headers, gcc,
# h5py, ZeroMQ and msgpack for the Python side; maven when mvn is missing.
HASHDIR_RUNTIME_PACKAGES="libhdf5-103-1 hdf5-tools"
HASHDIR_TEST_PACKAGES="libhdf5-dev hdf5-tools gcc python3-h5py python3-numpy python3-zmq python3-msgpack"

hashdir_missing_packages() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    echo "${missing[@]}"
}

# hashdir_require_packages runtime|test
hashdir_require_packages() {
    local wanted
    case "$1" in
        runtime) wanted="$HASHDIR_RUNTIME_PACKAGES" ;;
        test) wanted="$HASHDIR_TEST_PACKAGES" ;;
        *) hashdir_die "unknown package set: $1" ;;
    esac
    command -v mvn >/dev/null 2>&1 || wanted="$wanted maven"
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "hashdir: not a Debian system; make sure these are installed: $wanted" >&2
        return 0
    fi
    # shellcheck disable=SC2086
    local missing
    missing=$(hashdir_missing_packages $wanted)
    [ -z "$missing" ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            hashdir_die "missing Debian packages: $missing
  installing them needs root; run:  sudo apt-get update && sudo apt-get install -y $missing"
        fi
    fi
    echo "hashdir: installing Debian packages: $missing" >&2
    local log="${TMPDIR:-/tmp}/hashdir-apt.$$.log"
    # shellcheck disable=SC2086
    if ! { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        hashdir_die "apt-get could not install: $missing (log: $log)"
    fi
    rm -f "$log"
}

# The major version of the JDK at $1, or nothing.
hashdir_jdk_major() {
    local home="$1" v
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
    if [ -f "$home/release" ]; then
        v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
    fi
    if [ -z "${v:-}" ]; then
        v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
    fi
    echo "${v:-}"
}

# Sets JAVA_HOME to a JDK 25: $JAVA_HOME if it is one, else the first under $HASHDIR_JDK_ROOT
# (default /usr/lib/jvm).
hashdir_select_jdk() {
    local candidates=() c root="${HASHDIR_JDK_ROOT:-/usr/lib/jvm}"
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
    for c in "$root"/temurin-25* "$root"/java-25* "$root"/*25* "$root"/*; do
        [ -d "$c" ] && candidates+=("$c")
    done
    for c in "${candidates[@]}"; do
        if [ "$(hashdir_jdk_major "$c")" = "25" ]; then
            export JAVA_HOME="$c"
            export PATH="$JAVA_HOME/bin:$PATH"
            return 0
        fi
    done
    hashdir_die "hashdir needs JDK 25 (java.lang.foreign, release 25) and found none.
  looked at: JAVA_HOME=${JAVA_HOME:-<unset>} and $root/*
  install a JDK 25 (e.g. Eclipse Temurin 25) and set JAVA_HOME to it"
}

hashdir_mvn() {
    # Maven 3.8's bundled Guava calls sun.misc.Unsafe; tell JDK 25 it may, quietly (the build tool only).
    MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -B -ntp "$@"
}

HASHDIR_SERVER_JAR="$HASHDIR_ROOT/server/target/hashdir-server.jar"
HASHDIR_BUILD_STAMP="$HASHDIR_ROOT/server/target/.hashdir-built"

# Builds the server and what it needs when it was never built or a source or pom changed since.
hashdir_build_if_stale() {
    local stale=""
    if [ ! -f "$HASHDIR_SERVER_JAR" ] || [ ! -f "$HASHDIR_BUILD_STAMP" ]; then
        stale="first use"
    elif [ -n "$(find "$HASHDIR_ROOT" \( -name target -o -name .git -o -name data \) -prune -o \
                 \( -path '*/src/*' -o -name pom.xml \) -type f -newer "$HASHDIR_BUILD_STAMP" -print -quit)" ]; then
        stale="sources changed"
    fi
    [ -z "$stale" ] && return 0
    echo "hashdir: building ($stale)..." >&2
    local log="$HASHDIR_ROOT/server/target/hashdir-build.log"
    mkdir -p "$HASHDIR_ROOT/server/target"
    if ! (cd "$HASHDIR_ROOT" && hashdir_mvn -q package -DskipTests -pl server -am) >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        hashdir_die "build failed (full log: $log)"
    fi
    touch "$HASHDIR_BUILD_STAMP"
}

# JVM flags for every launch: FFM native access, msgpack without sun.misc.Unsafe.
HASHDIR_JVM_FLAGS="--enable-native-access=ALL-UNNAMED -Dmsgpack.universal-buffer=true"
