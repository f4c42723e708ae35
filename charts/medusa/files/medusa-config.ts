// Storedesk's Medusa configuration, copied over the starter's before the build.
// Every secret and address comes from the environment (the store's Secret and the pod's
// settings) when the server starts: the build holds none of them, so one build serves
// any domain and no password is ever written to the volume.
import { loadEnv, defineConfig } from "@medusajs/framework/utils"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

const redisUrl = process.env.REDIS_URL
const storeUrl = process.env.STOREDESK_URL

// Redis-backed infrastructure modules, as Medusa's deployment guide recommends for
// production; without REDIS_URL (a local trial) Medusa's in-memory defaults stay.
const redisModules = redisUrl
  ? [
      {
        resolve: "@medusajs/medusa/caching",
        options: {
          providers: [
            {
              resolve: "@medusajs/medusa/caching-redis",
              id: "caching-redis",
              is_default: true,
              options: { redisUrl },
            },
          ],
        },
      },
      { resolve: "@medusajs/medusa/event-bus-redis", options: { redisUrl } },
      {
        resolve: "@medusajs/medusa/workflow-engine-redis",
        options: { redis: { redisUrl } },
      },
      {
        resolve: "@medusajs/medusa/locking",
        options: {
          providers: [
            {
              resolve: "@medusajs/medusa/locking-redis",
              id: "locking-redis",
              is_default: true,
              options: { redisUrl },
            },
          ],
        },
      },
    ]
  : []

// Uploads stay on the local file provider (the server's static/ folder, on the volume);
// their links name the store's own address rather than the default localhost:9000.
const fileModules = storeUrl
  ? [
      {
        resolve: "@medusajs/medusa/file",
        options: {
          providers: [
            {
              resolve: "@medusajs/medusa/file-local",
              id: "local",
              options: { backend_url: `${storeUrl}/static` },
            },
          ],
        },
      },
    ]
  : []

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    redisUrl,
    workerMode: (process.env.MEDUSA_WORKER_MODE || "shared") as "shared" | "worker" | "server",
    // Plain-HTTP stores (a laptop's *.localhost) need a cookie the browser keeps over
    // HTTP; with TLS the cookie is Secure. Lax: the admin is served from the same host.
    cookieOptions: {
      secure: process.env.STOREDESK_SECURE_COOKIES === "true",
      sameSite: "lax",
    },
    http: {
      storeCors: process.env.STORE_CORS!,
      adminCors: process.env.ADMIN_CORS!,
      authCors: process.env.AUTH_CORS!,
      // No fallback: the starter's "supersecret" would sign every store's sessions alike.
      jwtSecret: process.env.JWT_SECRET!,
      cookieSecret: process.env.COOKIE_SECRET!,
    },
  },
  admin: {
    disable: process.env.DISABLE_MEDUSA_ADMIN === "true",
  },
  modules: [...redisModules, ...fileModules],
})
