import { parseArgs } from 'node:util';

/** What `npm run bench -- [flags]` asks for, validated once. */
export interface BenchOptions {
  mode: 'throughput' | 'rate' | 'big' | 'idle';
  messages: number;
  connections: number;
  /** Open-loop mode: messages offered per second, for `duration` seconds. */
  rate: number;
  duration: number;
  /** Open-loop mode: latency is also reported for the messages due in each window of this many seconds. */
  windowSeconds: number;
  /** Open-loop mode: seconds offered at the same rate before `duration`, kept out of the latency figures. */
  warmupSeconds: number;
  database: 'embedded' | 'postgres';
  split: boolean;
  ceiling: boolean;
  json: boolean;
  cpuProf: boolean;
  dbStats: boolean;
  redisUrl: string;
  postgresUrl: string;
  /** How long to wait for the last acknowledgements once no new one arrives. */
  ackIdleSeconds: number;
  replyTimeoutSeconds: number;
  keep: boolean;
  /** NODE_OPTIONS for the product's processes (not the ceiling's), to measure a runtime tuning. */
  nodeOptions: string | null;
}

export const USAGE = `npm run bench -- [options]

  --messages N        messages to send (default 20000)
  --connections C     concurrent SMTP connections (default 100)
  --rate R --duration S
                      open loop: offer R messages/s for S seconds, report latency and
                      each process's RSS ten times over the load (a soak: --rate 100 --duration 600)
  --warmup S          with --rate: offer the same rate for S s first and report those messages apart,
                      so the figures are the steady state (default 20: a new listener's code takes
                      a few thousand messages to be optimised; 0 counts everything)
  --window S          with --rate: also report p99 for the messages due in each S s of the run (default 5)
  --big               send one 25 MiB message and report the product's RSS growth
  --idle              start each role alone (all roles on the embedded database, first start and
                      restart; all roles, smtp, worker and web on PostgreSQL), send nothing, and
                      report the time to ready and the idle RSS (median and max over 20 s, 10 s after ready)
  --database postgres use a fresh schema in PostgreSQL instead of the embedded database
  --split             two smtp, two worker and one web process against PostgreSQL
  --no-ceiling        skip the bare smtp-server ceiling run
  --cpu-prof          write a CPU profile of each product process and summarise it
  --db-stats          count the embedded database's statements and transactions (diagnostics)
  --ack-idle S        stop waiting for acknowledgements after S s without one (default 30)
  --reply-timeout S   longest wait for one SMTP reply (default 60)
  --keep              keep the data folder and logs
  --node-options=…    NODE_OPTIONS for the product's processes, as an operator would set them
                      (e.g. --node-options=--max-semi-space-size=64); the ceiling runs without
  --json              print the results as JSON (with npm run -s, so npm prints no banner)

  REDIS_URL (default redis://127.0.0.1:6379) and BENCH_POSTGRES_URL
  (default postgres://postgres@127.0.0.1:5432/test) are read from the environment.`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      messages: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      window: { type: 'string' },
      warmup: { type: 'string' },
      big: { type: 'boolean', default: false },
      idle: { type: 'boolean', default: false },
      database: { type: 'string' },
      split: { type: 'boolean', default: false },
      'no-ceiling': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'db-stats': { type: 'boolean', default: false },
      'ack-idle': { type: 'string' },
      'reply-timeout': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'node-options': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number, got "${raw}"`);
    return value;
  };
  const database = values.database ?? (values.split ? 'postgres' : 'embedded');
  if (database !== 'embedded' && database !== 'postgres') throw new Error(`--database: expected embedded or postgres, got "${database}"`);
  if (values.split && database !== 'postgres') throw new Error('--split needs PostgreSQL: separate processes cannot share the embedded database');
  if ((values.rate === undefined) !== (values.duration === undefined)) throw new Error('--rate and --duration go together');
  if ((values.window ?? values.warmup) !== undefined && values.rate === undefined) throw new Error('--window and --warmup go with --rate');
  if (values.big && values.rate !== undefined) throw new Error('--big and --rate are separate runs');
  if (values.idle && (values.big || values.rate !== undefined || values.split || values.database !== undefined)) {
    throw new Error('--idle is a run of its own: it starts every role and both databases itself');
  }
  if (values['db-stats'] && database !== 'embedded') throw new Error('--db-stats looks at the embedded database only');

  const rate = positive('rate', values.rate, 0);
  const duration = positive('duration', values.duration, 0);
  const warmup = values.warmup === undefined ? (values.rate === undefined ? 0 : 20) : Number(values.warmup);
  if (!Number.isFinite(warmup) || warmup < 0) throw new Error(`--warmup: expected 0 or more seconds, got "${values.warmup}"`);
  return {
    mode: values.idle ? 'idle' : values.big ? 'big' : values.rate !== undefined ? 'rate' : 'throughput',
    messages: values.rate !== undefined ? Math.round(rate * (warmup + duration)) : Math.round(positive('messages', values.messages, 20_000)),
    connections: Math.round(positive('connections', values.connections, 100)),
    rate,
    duration,
    windowSeconds: positive('window', values.window, 5),
    warmupSeconds: warmup,
    database,
    split: values.split,
    ceiling: !values['no-ceiling'],
    json: values.json,
    cpuProf: values['cpu-prof'],
    dbStats: values['db-stats'],
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    postgresUrl: env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test',
    ackIdleSeconds: positive('ack-idle', values['ack-idle'], 30),
    replyTimeoutSeconds: positive('reply-timeout', values['reply-timeout'], 60),
    keep: values.keep,
    nodeOptions: values['node-options']?.trim() || null,
  };
}
