// Our side of the differential test: a running policy_diff_driver, spoken to one JSON line per
// case. A driver that crashes or hangs on a case answers {crash: ...} for that case and is
// restarted for the next one.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const kHangMs = 20000;

export class DriverProcess {
  constructor(path) {
    this.path = path;
    this.proc = null;  // {child, pending: [{resolve, timer}] in the order sent, stderr}
  }

  start() {
    const child = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const proc = { child, pending: [], stderr: '' };
    this.proc = proc;
    child.stderr.on('data', (d) => { proc.stderr = (proc.stderr + d).slice(-4000); });
    child.stdin.on('error', () => {});  // reported through 'exit'
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const p = proc.pending.shift();
      if (!p) return;
      clearTimeout(p.timer);
      try {
        p.resolve(JSON.parse(line));
      } catch {
        p.resolve({ crash: `driver printed a line that is not JSON: ${line.slice(0, 200)}` });
      }
    });
    const fail = (message) => {
      if (this.proc === proc) this.proc = null;
      // The first pending case is the one that killed the driver; those sent after it are
      // answered {retry: true} and sent again by the caller.
      const pending = proc.pending;
      proc.pending = [];
      pending.forEach((p, i) => {
        clearTimeout(p.timer);
        p.resolve(i === 0 ? { crash: message } : { retry: true });
      });
    };
    child.on('error', (e) => fail(`cannot run ${this.path}: ${e.message}`));
    child.on('exit', (code, signal) =>
      fail(`driver exited (code ${code}, signal ${signal}) ${proc.stderr.trim()}`.trim()));
  }

  // Sends one driver input object; resolves with the driver's answer object.
  ask(input) {
    if (!this.proc) this.start();
    const proc = this.proc;
    return new Promise((resolve) => {
      const entry = { resolve };
      entry.timer = setTimeout(() => {
        proc.stderr += ` (no answer within ${kHangMs} ms: hang?)`;
        proc.child.kill('SIGKILL');
      }, kHangMs);
      proc.pending.push(entry);
      proc.child.stdin.write(JSON.stringify(input) + '\n');
    });
  }

  // Answers for many inputs, in order, with at most `window` cases in flight.
  async askAll(inputs, window = 64) {
    const answers = new Array(inputs.length);
    let next = 0;
    const sender = async () => {
      while (next < inputs.length) {
        const i = next++;
        let a = await this.ask(inputs[i]);
        while (a.retry) a = await this.ask(inputs[i]);
        answers[i] = a;
      }
    };
    const senders = [];
    for (let w = 0; w < window; w++) senders.push(sender());
    await Promise.all(senders);
    return answers;
  }

  stop() {
    if (this.proc) {
      const { child } = this.proc;
      this.proc = null;
      child.stdin.end();
    }
  }
}
