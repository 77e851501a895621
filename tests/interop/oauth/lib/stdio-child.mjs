// A child process spoken to as an MCP stdio server: JSON-RPC messages as lines on its stdin,
// answers as lines on its stdout; its stderr kept (and written to a log file) for diagnostics.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";

export function spawnStdio(command, args, { env, cwd, logFile }) {
  const child = spawn(command, args, { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
  const log = logFile ? createWriteStream(logFile) : undefined;
  let stderr = "";
  const stderrWaiters = [];
  const pending = new Map();
  const notifications = [];
  const strayLines = [];
  let exited = null;
  const exitWaiters = [];

  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    log?.write(chunk);
    for (const waiter of stderrWaiters.slice()) {
      if (waiter.pattern.test(stderr)) {
        stderrWaiters.splice(stderrWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    log?.write(`[stdout] ${line}\n`);
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      strayLines.push(line);
      return;
    }
    if (message.id !== undefined && pending.has(message.id)) {
      const { resolve } = pending.get(message.id);
      pending.delete(message.id);
      resolve(message);
    } else {
      notifications.push(message);
    }
  });
  child.on("exit", (code, signal) => {
    exited = { code, signal };
    for (const { reject } of pending.values()) reject(new Error(`the process exited (${code ?? signal}) before answering`));
    pending.clear();
    exitWaiters.splice(0).forEach((resolve) => resolve(exited));
    log?.end();
  });
  child.stdin.on("error", () => {});

  let nextId = 1;
  return {
    child,
    get stderr() {
      return stderr;
    },
    get exited() {
      return exited;
    },
    notifications,
    strayLines,
    /** Resolves once stderr (so far, in all) matches `pattern`. */
    waitForStderr(pattern) {
      if (pattern.test(stderr)) return Promise.resolve();
      return new Promise((resolve) => stderrWaiters.push({ pattern, resolve }));
    },
    request(method, params) {
      const id = nextId++;
      const answer = new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
      return answer;
    },
    notify(method, params) {
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method, ...(params ? { params } : {}) })}\n`);
    },
    waitForExit() {
      if (exited) return Promise.resolve(exited);
      return new Promise((resolve) => exitWaiters.push(resolve));
    },
    endInput() {
      child.stdin.end();
    },
    kill(signal = "SIGTERM") {
      if (!exited) child.kill(signal);
    },
  };
}
