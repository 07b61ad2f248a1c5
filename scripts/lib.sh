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

# JVM flags for every launch: FFM native access, msgpack without sun.misc.Unsafe, and C2 compiling
# both sides of a branch its profile never saw taken (PerMethodTrapLimit=0: no unstable_if traps).
# Without it the first checkpoint of a process deoptimized the whole put path (a pending page's
# copy-on-write branch, inlined everywhere, never taken before) and ran it interpreted for 0.2-0.5 s
# under load (docs/benchmarks.md, "Session 6"); closed-loop put throughput was not lower with it.
HASHDIR_JVM_FLAGS="--enable-native-access=ALL-UNNAMED -Dmsgpack.universal-buffer=true -XX:PerMethodTrapLimit=0"

# The classpath of every launch (an AOT cache is valid for this classpath only).
HASHDIR_CLASSPATH="$HASHDIR_SERVER_JAR:$HASHDIR_ROOT/server/target/lib/*"

# The AOT cache (JDK 25: JEP 483 class loading and linking ahead of time): made by one training
# run (dev.hashdir.server.cli.AotTraining: a store's recovery, requests, a checkpoint) after each
# build, used by every launch. HASHDIR_AOT=0 turns it off. The cache holds no training data (JEP 515
# method profiles, -XX:-AOTRecordTraining): with them the JIT compiled the training run's hot methods
# as soon as the JVM started, and on 2 cores those compilations took CPU from the store's open:
# launch to /ready on a 10M-key store after a clean close, 8 launches each alternated, median 494 ms
# without training data against 577 ms with it (process CPU 0.87 s against 1.04 s; docs/benchmarks.md,
# "Session 10: a fresh server's start").
HASHDIR_AOT_CACHE="$HASHDIR_ROOT/server/target/hashdir.aot"

# What a cache is valid for: the JDK, the extra JVM options, every jar on the classpath (path,
# size, modification time). Checked here because JDK 25.0.3 and earlier use a cache made from
# jars that changed since (JDK-8377932): old classes would run.
hashdir_aot_fingerprint() {
    echo "java $JAVA_HOME $(sed -n 's/^JAVA_RUNTIME_VERSION=//p' "$JAVA_HOME/release" 2>/dev/null)"
    echo "options ${HASHDIR_JAVA_OPTS:-}; no training data"
    stat -c '%n %s %Y' "$HASHDIR_SERVER_JAR" "$HASHDIR_ROOT"/server/target/lib/*.jar
}

# Sets HASHDIR_AOT_FLAGS: the flags that use the AOT cache, after making it when it is missing or
# was made from other jars; empty when it cannot be made (that is logged and not retried until
# the jars change) or HASHDIR_AOT=0. The JVM's own messages about the cache are off: a cache it
# cannot use (other JVM flags, a damaged file) is ignored without a word, as the launch must not
# print JVM warnings.
hashdir_aot_flags() {
    HASHDIR_AOT_FLAGS=""
    [ "${HASHDIR_AOT:-1}" = 0 ] && return 0
    local fp
    fp=$(hashdir_aot_fingerprint 2>/dev/null) || return 0
    if [ ! -f "$HASHDIR_AOT_CACHE" ] || [ "$(cat "$HASHDIR_AOT_CACHE.fingerprint" 2>/dev/null)" != "$fp" ]; then
        [ "$(cat "$HASHDIR_AOT_CACHE.failed" 2>/dev/null)" = "$fp" ] && return 0
        hashdir_aot_train "$fp" || return 0
    fi
    HASHDIR_AOT_FLAGS="-XX:AOTCache=$HASHDIR_AOT_CACHE -Xlog:aot*=off -Xlog:cds*=off"
}

# The training run: writes the cache and its fingerprint (replacing both), or records the failure.
hashdir_aot_train() {
    local fp="$1" log="$HASHDIR_ROOT/server/target/hashdir-aot.log" tmp="$HASHDIR_AOT_CACHE.$$.tmp" scratch
    echo "hashdir: making the AOT cache (a training run after each build, about 30 s)..." >&2
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/hashdir-aot.XXXXXX") || return 1
    # shellcheck disable=SC2086
    if "$JAVA_HOME/bin/java" $HASHDIR_JVM_FLAGS ${HASHDIR_JAVA_OPTS:-} -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining             -XX:AOTCacheOutput="$tmp" -cp "$HASHDIR_CLASSPATH" dev.hashdir.server.cli.AotTraining "$scratch/training" >"$log" 2>&1             && [ -s "$tmp" ] && mv -f "$tmp" "$HASHDIR_AOT_CACHE"; then
        rm -rf "$scratch"
        echo "$fp" >"$HASHDIR_AOT_CACHE.fingerprint"
        return 0
    fi
    rm -rf "$scratch" "$tmp" "$tmp.config"
    echo "$fp" >"$HASHDIR_AOT_CACHE.failed"
    echo "hashdir: could not make the AOT cache (log: $log); running without it" >&2
    return 1
}

