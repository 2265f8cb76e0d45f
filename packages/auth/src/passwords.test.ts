import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { hashPassword, validatePasswordStrength, verifyPassword } from "./passwords.ts";

describe("passwords", () => {
  test("hash is argon2id and verifies only the right password", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
  });

  test("the same password hashes differently each time (salted)", async () => {
    const [a, b] = await Promise.all([
      hashPassword("same-password"),
      hashPassword("same-password"),
    ]);
    expect(a).not.toBe(b);
  });

  test("a missing or foreign hash never verifies", async () => {
    expect(await verifyPassword("anything-at-all", null)).toBe(false);
    expect(await verifyPassword("anything-at-all", undefined)).toBe(false);
    expect(await verifyPassword("anything-at-all", "plain-text")).toBe(false);
  });

  const rejects = (value: unknown, message: RegExp) => {
    let caught: unknown;
    try {
      validatePasswordStrength(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).status).toBe(400);
    expect((caught as AppError).message).toMatch(message);
  };

  test("strength: length limits give a clear 400", () => {
    rejects("short", /at least 8 characters/);
    rejects("", /at least 8 characters/);
    rejects("x".repeat(1025), /at most 1024 bytes/);
    // 300 three-byte characters: few characters, too many bytes.
    rejects("€".repeat(342), /at most 1024 bytes/);
    rejects(12345678, /must be a string/);
  });

  test("strength: the boundaries are accepted", () => {
    expect(() => validatePasswordStrength("12345678")).not.toThrow();
    expect(() => validatePasswordStrength("x".repeat(1024))).not.toThrow();
    // Eight characters counted as characters, not UTF-16 units.
    expect(() => validatePasswordStrength("😀😀😀😀😀😀😀😀")).not.toThrow();
    rejects("😀😀😀😀", /at least 8/);
  });
});
