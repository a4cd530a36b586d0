// A real SMTP server for the escalation tests, run as its own process: every
// message accepted is written to the directory given as the first argument
// (envelope, authenticated user and the raw message), before the server
// answers 250. The second argument "reject" makes it refuse every recipient.
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const [dir, mode = 'accept'] = process.argv.slice(2);
let n = 0;
const server = new SMTPServer({
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onAuth(auth, _session, cb) {
    cb(null, { user: auth.username });
  },
  onRcptTo(_address, _session, cb) {
    if (mode === 'reject') return cb(Object.assign(new Error('Mailbox unavailable (test server refuses all mail)'), { responseCode: 550 }));
    cb();
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const file = path.join(dir, `${Date.now()}-${process.pid}-${++n}.json`);
      const record = { from: session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), user: session.user ?? null, raw: Buffer.concat(chunks).toString('utf8') };
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(record));
      fs.renameSync(`${file}.tmp`, file);
      cb();
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
