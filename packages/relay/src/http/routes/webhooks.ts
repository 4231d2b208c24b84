import { randomBytes } from "node:crypto";
import { RelayError } from "@hydrogen/protocol";
import { checkWebhookUrl, WebhookAddressError } from "../../webhooks/address.ts";
import { requireAccount } from "../auth.ts";
import type { RelayContext } from "../context.ts";
import type { RouteImplementation, RouteImplementations } from "../route-schema.ts";

/** An account's webhooks: made, listed and deleted by the account itself (spec §7). */
export function webhookRoutes(
  context: RelayContext,
): Pick<RouteImplementations, "createWebhook" | "listWebhooks" | "deleteWebhook"> {
  const { db, config } = context;

  const createWebhook: RouteImplementation<{ Body: { url: string } }> = {
    handler: async (request) => {
      const owner = (await requireAccount(context, request)).toLowerCase();
      let url: URL;
      try {
        url = await checkWebhookUrl(request.body.url, config.webhooks.allowPrivate);
      } catch (error) {
        if (error instanceof WebhookAddressError) throw new RelayError("RELAY_WEBHOOK_REFUSED", error.message);
        throw error;
      }
      const held = await db
        .selectFrom("webhooks")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .where("owner", "=", owner)
        .executeTakeFirst();
      if (Number(held?.count ?? 0) >= config.webhooks.maxPerAccount) {
        throw new RelayError(
          "RELAY_WEBHOOK_REFUSED",
          `an account has at most ${config.webhooks.maxPerAccount} webhooks on this relay`,
        );
      }
      const hook = {
        id: randomBytes(16).toString("hex"),
        owner,
        url: url.toString(),
        secret: randomBytes(32).toString("hex"),
        created_at: Date.now(),
      };
      await db.insertInto("webhooks").values(hook).execute();
      return { id: hook.id, url: hook.url, secret: hook.secret };
    },
  };

  const listWebhooks: RouteImplementation = {
    handler: async (request) => {
      const owner = (await requireAccount(context, request)).toLowerCase();
      const webhooks = await db.selectFrom("webhooks").select(["id", "url"]).where("owner", "=", owner).execute();
      return { webhooks };
    },
  };

  const deleteWebhook: RouteImplementation<{ Params: { webhook: string } }> = {
    handler: async (request) => {
      const owner = (await requireAccount(context, request)).toLowerCase();
      const id = request.params.webhook;
      const deleted = await db.transaction().execute(async (trx) => {
        const gone = await trx
          .deleteFrom("webhooks")
          .where("id", "=", id)
          .where("owner", "=", owner)
          .executeTakeFirst();
        if (gone.numDeletedRows) await trx.deleteFrom("webhook_deliveries").where("webhook_id", "=", id).execute();
        return Number(gone.numDeletedRows ?? 0n);
      });
      if (!deleted) throw new RelayError("RELAY_NOT_FOUND", `no webhook ${id} of this account`);
      return { id };
    },
  };

  return { createWebhook, listWebhooks, deleteWebhook };
}
