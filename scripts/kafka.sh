#!/usr/bin/env bash
# A local Apache Kafka 4.x broker (KRaft, one combined broker+controller) for development and tests.
#
#   scripts/kafka.sh start|stop|status|install|bootstrap
#
# Jars come from Maven Central through deploy/kafka/pom.xml (cached in ~/.m2 and deploy/kafka/target/lib).
# Runs with the machine's Java 17 and a small heap on 127.0.0.1:${DEVLOGS_KAFKA_PORT:-9092}
# (controller on the next port), data under ${DEVLOGS_KAFKA_DIR:-var/kafka-<port>}.
# Several brokers can run side by side on different ports (tests that stop a broker use their own).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${DEVLOGS_KAFKA_PORT:-9092}"
CONTROLLER_PORT=$((PORT + 1))
DIR="${DEVLOGS_KAFKA_DIR:-$ROOT/var/kafka-$PORT}"
LIB="$ROOT/deploy/kafka/target/lib"
HEAP="${DEVLOGS_KAFKA_HEAP:-512m}"

install() {
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    echo "kafka.sh: installing Java 17 and Maven (apt)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  fi
  if [ ! -f "$LIB/.resolved" ] || [ "$ROOT/deploy/kafka/pom.xml" -nt "$LIB/.resolved" ]; then
    echo "kafka.sh: resolving Kafka jars from Maven Central" >&2
    rm -rf "$LIB"
    (cd "$ROOT/deploy/kafka" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory=target/lib -DincludeScope=runtime)
    touch "$LIB/.resolved"
  fi
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

pid() { cat "$DIR/broker.pid" 2>/dev/null || true; }

running() { local p; p=$(pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

configure() {
  mkdir -p "$DIR/data"
  cat > "$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
num.partitions=4
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=1
PROPS
  if [ ! -f "$DIR/data/meta.properties" ]; then
    java -cp "$LIB/*" -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.properties" \
      kafka.tools.StorageTool format -t "$(cat /proc/sys/kernel/random/uuid | tr -d '-' | head -c 22)" \
      -c "$DIR/server.properties" >"$DIR/format.log" 2>&1 \
      || { cat "$DIR/format.log" >&2; exit 1; }
  fi
}

start() {
  install
  if running; then echo "127.0.0.1:$PORT"; return; fi
  if listening; then
    echo "kafka.sh: something else already listens on 127.0.0.1:$PORT; using it" >&2
    echo "127.0.0.1:$PORT"; return
  fi
  configure
  nohup java -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -cp "$LIB/*" \
    -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.properties" \
    kafka.Kafka "$DIR/server.properties" >"$DIR/broker.log" 2>&1 &
  echo $! > "$DIR/broker.pid"
  for _ in $(seq 1 120); do
    if listening; then echo "127.0.0.1:$PORT"; return; fi
    running || { echo "kafka.sh: broker exited; see $DIR/broker.log" >&2; tail -20 "$DIR/broker.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "kafka.sh: broker did not listen on $PORT within 60s; see $DIR/broker.log" >&2
  exit 1
}

stop() {
  local p; p=$(pid)
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill "$p"
    for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$DIR/broker.pid"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running && listening; then echo "running on 127.0.0.1:$PORT (pid $(pid))"; else echo "stopped"; exit 1; fi ;;
  bootstrap) echo "127.0.0.1:$PORT" ;;
  *) echo "usage: $0 start|stop|status|install|bootstrap" >&2; exit 2 ;;
esac
