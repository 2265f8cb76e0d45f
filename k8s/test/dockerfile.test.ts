/** The Dockerfile pins the Bun of package.json, runs a real script and ships the OCR data. */

import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import {
  DEFAULT_API_PORT,
  DEFAULT_METRICS_PORT,
  pinnedBunVersion,
  readRepoFile,
  repoPath,
  rootScripts,
} from "./deploy.test-utils.ts";

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order, with `\` continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return logical
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

const instructions = parseDockerfile(readRepoFile("Dockerfile"));
const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword);
const last = (keyword: string) => all(keyword).at(-1)?.args ?? "";

/** The stage names and base images of every FROM. */
const stages = all("FROM").map((from) => {
  const [image = "", as, name] = from.args.split(/\s+/);
  return { image, name: as?.toUpperCase() === "AS" ? name : undefined };
});

describe("Dockerfile", () => {
  test("every stage starts from oven/bun at the version package.json pins", () => {
    const version = pinnedBunVersion();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const stageNames = new Set(stages.map((stage) => stage.name));
    for (const { image } of stages) {
      if (stageNames.has(image)) continue;
      const [repository, tag = ""] = image.split(":");
      expect(repository).toBe("oven/bun");
      expect(tag === version || tag.startsWith(`${version}-`), `${image} vs bun@${version}`).toBe(
        true,
      );
    }
  });

  test("installs production dependencies from the text lockfile", () => {
    const install = all("RUN").find((run) => run.args.includes("bun install"));
    expect(install?.args).toContain("--frozen-lockfile");
    expect(install?.args).toContain("--production");
    expect(readRepoFile("Dockerfile")).toContain("bun.lock");
    expect(existsSync(repoPath("bun.lock"))).toBe(true);
  });

  test("the default command is a root package.json script", () => {
    const cmd = JSON.parse(last("CMD")) as string[];
    expect(cmd.slice(0, 2)).toEqual(["bun", "run"]);
    expect(cmd[2]).toBe("services");
    expect(Object.keys(rootScripts())).toContain(cmd[2] ?? "");
  });

  test("runs as a numeric non-root user and exposes the API and metrics ports", () => {
    const user = last("USER");
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(":")[0])).toBeGreaterThan(0);
    const exposed = all("EXPOSE").flatMap((e) => e.args.split(/\s+/).map(Number));
    expect(exposed).toContain(DEFAULT_API_PORT);
    expect(exposed).toContain(DEFAULT_METRICS_PORT);
  });

  test("has a health check of the API the default command serves", () => {
    const healthcheck = last("HEALTHCHECK");
    expect(healthcheck).toContain("/healthz");
    expect(healthcheck).toContain(String(DEFAULT_API_PORT));
  });

  test("installs the native tesseract engine with English data for `engine: tesseract` stages", () => {
    const install = all("RUN").find((run) => run.args.includes("apt-get install"));
    expect(install?.args).toContain("tesseract-ocr");
    expect(install?.args).toContain("tesseract-ocr-eng");
  });

  test("checks the English OCR data at the path an install of this workspace puts it", () => {
    const check = all("RUN").find((run) => run.args.includes("eng.traineddata"));
    const path = /test -s (\S+)/.exec(check?.args ?? "")?.[1];
    expect(path).toStartWith("packages/ocr/node_modules/@tesseract.js-data/eng/");
    expect(existsSync(repoPath(path ?? "missing"))).toBe(true);
  });
});

describe(".dockerignore", () => {
  const patterns = readRepoFile(".dockerignore")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));

  test("keeps host dependencies, git history and local data out of the image", () => {
    for (const wanted of ["**/node_modules", ".git", "data", "**/.env"]) {
      expect(patterns).toContain(wanted);
    }
  });

  test("keeps what the build reads", () => {
    const needed = ["package.json", "bun.lock", "bunfig.toml", "packages", "services"];
    for (const pattern of patterns) {
      expect(["*", "**", "/"]).not.toContain(pattern);
      expect(needed).not.toContain(pattern.replace(/^\/|\/$/g, ""));
    }
  });
});
