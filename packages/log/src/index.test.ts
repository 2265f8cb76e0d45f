import { describe, expect, test } from "bun:test";
import { createLogger, type LogLevel } from "./index.ts";

function capture(level: LogLevel = "debug") {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("api", {
    level,
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe("createLogger", () => {
  test("writes one JSON object per event: time, level, namespace, message, then the fields", () => {
    const { logger, lines } = capture();
    logger.info({ route: "/api/jobs", status: 200 }, "request");
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(Object.keys(line ?? {})).toEqual(["time", "level", "ns", "msg", "route", "status"]);
    expect(line).toMatchObject({ level: "info", ns: "api", msg: "request", status: 200 });
    expect(new Date(String(line?.time)).toISOString()).toBe(String(line?.time));
  });

  test("drops events below its level, and everything when silent", () => {
    const warn = capture("warn");
    warn.logger.debug({}, "d");
    warn.logger.info({}, "i");
    warn.logger.warn({}, "w");
    warn.logger.error({}, "e");
    expect(warn.lines.map((l) => l.msg)).toEqual(["w", "e"]);
    const silent = capture("silent");
    silent.logger.error({}, "e");
    expect(silent.lines).toEqual([]);
  });

  test("children name their part of the program and keep the level", () => {
    const { logger, lines } = capture("info");
    const child = logger.child("worker").child("ocr");
    child.debug({}, "hidden");
    child.info({}, "shown");
    expect(lines).toEqual([expect.objectContaining({ ns: "api:worker:ocr", msg: "shown" })]);
  });

  test("redacts secrets by key at any depth", () => {
    const { logger, lines } = capture();
    logger.warn(
      {
        password: "hunter2",
        headers: { Authorization: "Bearer abc", "x-api-key": "crp_123", accept: "json" },
        settings: [{ aiApiKey: "sk-1", url: "http://ai" }],
        jwtSecret: "s",
        cookie: "crp_session=x",
      },
      "login",
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ["hunter2", "Bearer abc", "crp_123", "sk-1", "crp_session=x"]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      password: "[redacted]",
      headers: { Authorization: "[redacted]", "x-api-key": "[redacted]", accept: "json" },
      settings: [{ aiApiKey: "[redacted]", url: "http://ai" }],
    });
  });

  test("a caller's field never replaces the line's own time, level or message", () => {
    const { logger, lines } = capture();
    logger.error({ level: "debug", msg: "forged", time: 0, ns: "other" }, "real");
    expect(lines[0]).toMatchObject({
      level: "error",
      msg: "real",
      ns: "api",
      "field.level": "debug",
      "field.msg": "forged",
      "field.time": 0,
      "field.ns": "other",
    });
  });

  test("errors keep name, message, code and cause; odd values never throw", () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const shared = { id: 7 };
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 20; i++) deep = { deeper: deep };
    logger.error(
      {
        error: new Error("S3 put failed", { cause }),
        size: 10n ** 20n,
        cyclic,
        deep,
        at: new Date(0),
        twice: [shared, shared],
      },
      "upload failed",
    );
    expect(lines[0]).toMatchObject({
      error: {
        name: "Error",
        message: "S3 put failed",
        cause: { name: "Error", message: "connect ECONNREFUSED", code: "ECONNREFUSED" },
      },
      size: "100000000000000000000",
      cyclic: { name: "loop", self: "[circular]" },
      at: "1970-01-01T00:00:00.000Z",
      twice: [{ id: 7 }, { id: 7 }],
    });
    expect(JSON.stringify(lines[0]?.deep)).toContain('"[object]"');
  });
});
