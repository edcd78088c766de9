/**
 * The fan-out bench's baseline server: Socket.IO 4 with @socket.io/redis-streams-adapter (an
 * ioredis client, adapter defaults), websocket transport only. Subscribers (`?role=sub`) join
 * one room on connect; the publisher (`?role=pub`) emits `publish` with a string, which this
 * instance broadcasts to the room with `io.to(room).emit('message', payload)`, so the adapter
 * carries it to the other instance through the Redis stream. Env: PORT, REDIS_URL, INSTANCE_ID.
 * GET /health answers 200 once the adapter's Redis connection is ready.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const ROOM = 'fanout';
const port = Number(process.env.PORT);
const redisUrl = process.env.REDIS_URL;
if (!port || !redisUrl) {
  console.error('PORT and REDIS_URL are required');
  process.exit(1);
}

// RESP2 like our bus (ioredis 6 speaks RESP3 by default); the adapter's duplicates inherit it.
const redis = new Redis(redisUrl, {
  protocol: 2,
  connectionName: `sio:${process.env.INSTANCE_ID ?? port}`,
});
redis.on('error', (err: Error) => console.error(`redis: ${err.message}`));
let ready = false;
redis.on('ready', () => {
  ready = true;
});

const http = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'starting');
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  adapter: createAdapter(redis),
});

io.on('connection', (socket) => {
  if (socket.handshake.query.role === 'pub') {
    socket.on('publish', (payload: string) => {
      io.to(ROOM).emit('message', payload);
    });
    return;
  }
  socket.join(ROOM);
});

http.listen(port, '127.0.0.1');

const stop = () => {
  io.close(() => {
    redis.disconnect();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 3_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
