/** Behind reverse proxies (TRUST_PROXY_HOPS) the client address comes from X-Forwarded-For. */

import { describe, expect, test } from "bun:test";
import { waitForRoomInWindow } from "@crpipeline/testing";
import { clientAddress } from "../src/http/auth.ts";
import { describeEachApi, PASSWORD, unique } from "./api.test-utils.ts";

const socket = { requestIP: () => ({ address: "10.0.0.5" }) };
const withForwarded = (value: string) =>
  new Request("http://localhost/", { headers: { "x-forwarded-for": value } });

describe("clientAddress", () => {
  test("trusts no header by default: the socket's peer is the client", () => {
    expect(clientAddress(withForwarded("203.0.113.9"), socket)).toBe("10.0.0.5");
  });

  test("behind N proxies takes the N-th address from the right, so a forged prefix is ignored", () => {
    const request = withForwarded("6.6.6.6, 203.0.113.9, 10.0.0.1");
    expect(clientAddress(request, socket, 1)).toBe("10.0.0.1");
    expect(clientAddress(request, socket, 2)).toBe("203.0.113.9");
    expect(clientAddress(withForwarded("203.0.113.9"), socket, 2)).toBe("203.0.113.9");
    expect(clientAddress(new Request("http://localhost/"), socket, 1)).toBe("10.0.0.5");
  });
});

describeEachApi(
  "login limits behind one trusted proxy",
  (api) => {
    const attempt = (forwardedFor: string, email: string, password = "wrong-password") =>
      fetch(`${api().url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
        body: JSON.stringify({ email, password }),
      });

    test("the per-address limit follows the proxy's client, whatever the client prepends", async () => {
      await waitForRoomInWindow(60_000, 20_000);
      for (let i = 1; i <= 10; i++) {
        const reply = await attempt(`1.2.3.${i}, 203.0.113.9`, `${unique("p")}@proxy.test`);
        expect(reply.status).toBe(401);
      }
      const limited = await attempt("9.9.9.9, 203.0.113.9", `${unique("p")}@proxy.test`);
      expect(limited.status).toBe(429);
      const other = await attempt("198.51.100.7", `${unique("p")}@proxy.test`);
      expect(other.status).toBe(401);
    }, 60_000);

    test("the audit log records the forwarded client address", async () => {
      const tenant = await api().createTenant("proxied");
      const reply = await attempt("198.51.100.23", tenant.user.user.email, PASSWORD);
      expect(reply.status).toBe(200);
      const audit = await api().call<{ items: { action: string; ip: string; userId: string }[] }>(
        "GET",
        "/api/audit?action=auth.login&limit=100",
        tenant.admin.token,
      );
      const entry = audit.body.items.find((e) => e.userId === tenant.user.user.id);
      expect(entry?.ip).toBe("198.51.100.23");
    });
  },
  { TRUST_PROXY_HOPS: "1" },
);
