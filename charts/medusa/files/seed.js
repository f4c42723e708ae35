// Storedesk's seed for a new Medusa store, run by the setup Job with `medusa exec` from
// the built app. It makes the store sell from its first minute: a sales channel, a
// region paid through the system default (manual) provider, tax regions, a warehouse
// with a shipping option, a sample product, the publishable API key Storedesk generated,
// and the admin user with the generated password.
//
// Every step looks before it acts, so a second run changes nothing. Values come from
// the environment (the chart's settings and the store's Secret), never from argv.
"use strict"

const path = require("path")
const { createRequire } = require("module")

// This file lives in a ConfigMap; Medusa's packages live in the app (the working
// directory), so resolve them from there.
const appRequire = createRequire(path.join(process.cwd(), "package.json"))
const {
  ContainerRegistrationKeys,
  FeatureFlag,
  Modules,
  ProductStatus,
} = appRequire("@medusajs/framework/utils")
const {
  createWorkflow,
  transform,
  WorkflowResponse,
} = appRequire("@medusajs/framework/workflows-sdk")
const flows = appRequire("@medusajs/medusa/core-flows")

function need(name) {
  const value = process.env[name]
  if (!value) {
    throw new Error(`${name} is not set`)
  }
  return value
}

// Medusa's own redaction of a key (api-key module), for the Admin's key list.
const redact = (key) => [key.slice(0, 6), key.slice(-3)].join("***")

// The starter's way to set the store's currencies (updateStoresStep in a workflow).
const updateStoreCurrencies = createWorkflow(
  "storedesk-update-store-currencies",
  (input) => {
    const normalized = transform({ input }, ({ input }) => ({
      selector: { id: input.store_id },
      update: {
        supported_currencies: input.currencies.map((code, i) => ({
          currency_code: code,
          is_default: i === 0,
        })),
      },
    }))
    return new WorkflowResponse(flows.updateStoresStep(normalized))
  }
)

async function seed({ container }) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const pg = container.resolve(ContainerRegistrationKeys.PG_CONNECTION)

  const settings = {
    storeName: need("STORE_NAME"),
    currency: need("SEED_CURRENCY").toLowerCase(),
    countries: need("SEED_COUNTRIES").toLowerCase().split(","),
    region: need("SEED_REGION"),
    salesChannel: need("SEED_SALES_CHANNEL"),
    location: need("SEED_LOCATION"),
    product: {
      title: need("SAMPLE_TITLE"),
      handle: need("SAMPLE_HANDLE"),
      sku: need("SAMPLE_SKU"),
      price: Number(need("SAMPLE_PRICE")),
    },
    publishableKey: need("PUBLISHABLE_KEY"),
    adminEmail: need("ADMIN_EMAIL"),
    adminPassword: need("ADMIN_PASSWORD"),
  }
  const run = (workflow, input) => workflow(container).run({ input })
  const step = (what) => logger.info(`storedesk seed: ${what}`)

  // -- the store, its currency and sales channel ------------------------------------------
  const storeModule = container.resolve(Modules.STORE)
  const [store] = await storeModule.listStores({}, { relations: ["supported_currencies"] })
  let [channel] = await container
    .resolve(Modules.SALES_CHANNEL)
    .listSalesChannels({ name: settings.salesChannel })
  if (!channel) {
    step(`sales channel ${settings.salesChannel}`)
    ;[channel] = (
      await run(flows.createSalesChannelsWorkflow, {
        salesChannelsData: [{ name: settings.salesChannel }],
      })
    ).result
  }
  const currencies = (store.supported_currencies || []).map((c) => c.currency_code)
  if (!currencies.includes(settings.currency)) {
    step(`store currency ${settings.currency}`)
    await updateStoreCurrencies(container).run({
      input: { store_id: store.id, currencies: [settings.currency, ...currencies] },
    })
  }
  if (store.name !== settings.storeName || store.default_sales_channel_id !== channel.id) {
    await run(flows.updateStoresWorkflow, {
      selector: { id: store.id },
      update: { name: settings.storeName, default_sales_channel_id: channel.id },
    })
  }

  // -- a region paid with the system default (manual) provider: Cash on Delivery -----------
  let [region] = await container
    .resolve(Modules.REGION)
    .listRegions({ name: settings.region })
  if (!region) {
    step(`region ${settings.region} (${settings.countries.join(", ")})`)
    ;[region] = (
      await run(flows.createRegionsWorkflow, {
        regions: [
          {
            name: settings.region,
            currency_code: settings.currency,
            countries: settings.countries,
            payment_providers: ["pp_system_default"],
          },
        ],
      })
    ).result
  }
  const taxModule = container.resolve(Modules.TAX)
  const taxed = (await taxModule.listTaxRegions({ country_code: settings.countries })).map(
    (t) => t.country_code
  )
  const untaxed = settings.countries.filter((c) => !taxed.includes(c))
  if (untaxed.length) {
    step(`tax regions ${untaxed.join(", ")}`)
    await run(
      flows.createTaxRegionsWorkflow,
      untaxed.map((country_code) => ({ country_code, provider_id: "tp_system" }))
    )
  }

  // -- a warehouse that ships to the region ------------------------------------------------
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  let [location] = await container
    .resolve(Modules.STOCK_LOCATION)
    .listStockLocations({ name: settings.location })
  if (!location) {
    step(`stock location ${settings.location}`)
    ;[location] = (
      await run(flows.createStockLocationsWorkflow, {
        locations: [{ name: settings.location, address: { country_code: settings.countries[0].toUpperCase(), address_1: "" } }],
      })
    ).result
  }
  if (store.default_location_id !== location.id) {
    await run(flows.updateStoresWorkflow, {
      selector: { id: store.id },
      update: { default_location_id: location.id },
    })
  }
  const {
    data: [linked],
  } = await query.graph({
    entity: "stock_location",
    fields: ["id", "fulfillment_providers.id", "fulfillment_sets.id", "sales_channels.id"],
    filters: { id: location.id },
  })
  const ids = (list) => (list || []).filter(Boolean).map((x) => x.id)
  if (!ids(linked.fulfillment_providers).includes("manual_manual")) {
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: location.id },
      [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" },
    })
  }
  let [profile] = await fulfillment.listShippingProfiles({ type: "default" })
  if (!profile) {
    ;[profile] = (
      await run(flows.createShippingProfilesWorkflow, {
        data: [{ name: "Default Shipping Profile", type: "default" }],
      })
    ).result
  }
  const setName = `${settings.location} delivery`
  let [fulfillmentSet] = await fulfillment.listFulfillmentSets(
    { name: setName },
    { relations: ["service_zones"] }
  )
  if (!fulfillmentSet) {
    step(`fulfillment set ${setName}`)
    fulfillmentSet = await fulfillment.createFulfillmentSets({
      name: setName,
      type: "shipping",
      service_zones: [
        {
          name: settings.region,
          geo_zones: settings.countries.map((country_code) => ({ country_code, type: "country" })),
        },
      ],
    })
  }
  if (!ids(linked.fulfillment_sets).includes(fulfillmentSet.id)) {
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: location.id },
      [Modules.FULFILLMENT]: { fulfillment_set_id: fulfillmentSet.id },
    })
  }
  const [option] = await fulfillment.listShippingOptions({ name: "Standard Shipping" })
  if (!option) {
    step("shipping option Standard Shipping")
    await run(flows.createShippingOptionsWorkflow, [
      {
        name: "Standard Shipping",
        price_type: "flat",
        provider_id: "manual_manual",
        service_zone_id: fulfillmentSet.service_zones[0].id,
        shipping_profile_id: profile.id,
        type: { label: "Standard", description: "Ship in 2-3 days.", code: "standard" },
        prices: [
          { currency_code: settings.currency, amount: 5 },
          { region_id: region.id, amount: 5 },
        ],
        rules: [
          { attribute: "enabled_in_store", value: "true", operator: "eq" },
          { attribute: "is_return", value: "false", operator: "eq" },
        ],
      },
    ])
  }
  if (!ids(linked.sales_channels).includes(channel.id)) {
    await run(flows.linkSalesChannelsToStockLocationWorkflow, {
      id: location.id,
      add: [channel.id],
    })
  }

  // -- the publishable API key Storedesk generated -----------------------------------------
  // Medusa makes a random key; the store's key is set to the generated one so that
  // Storedesk, `helm test` and storefronts know it from the Secret, before and without
  // asking the store (publishable keys are stored as they are, not hashed).
  const apiKeys = container.resolve(Modules.API_KEY)
  let [key] = await apiKeys.listApiKeys({ token: settings.publishableKey })
  if (!key) {
    step("publishable API key")
    ;[key] = (
      await run(flows.createApiKeysWorkflow, {
        api_keys: [{ title: "Storedesk storefront", type: "publishable", created_by: "" }],
      })
    ).result
    await pg("api_key")
      .where({ id: key.id })
      .update({ token: settings.publishableKey, redacted: redact(settings.publishableKey) })
  }
  const {
    data: [keyed],
  } = await query.graph({
    entity: "api_key",
    fields: ["id", "sales_channels.id"],
    filters: { id: key.id },
  })
  if (!ids(keyed.sales_channels).includes(channel.id)) {
    await run(flows.linkSalesChannelsToApiKeyWorkflow, { id: key.id, add: [channel.id] })
  }

  // -- the sample product ------------------------------------------------------------------
  const [product] = await container
    .resolve(Modules.PRODUCT)
    .listProducts({ handle: settings.product.handle })
  if (!product) {
    step(`product ${settings.product.title}`)
    await run(flows.createProductsWorkflow, {
      products: [
        {
          title: settings.product.title,
          handle: settings.product.handle,
          status: ProductStatus.PUBLISHED,
          shipping_profile_id: profile.id,
          options: [{ title: "Size", values: ["One size"] }],
          variants: [
            {
              title: "One size",
              sku: settings.product.sku,
              options: { Size: "One size" },
              // Sold without stock tracking: the sample never runs out.
              manage_inventory: false,
              prices: [{ amount: settings.product.price, currency_code: settings.currency }],
            },
          ],
          sales_channels: [{ id: channel.id }],
        },
      ],
    })
  }

  // -- the admin user (what `medusa user -e E -p P` does, the password from the env) ---------
  // Each part is looked up first, so a run that stopped half-way is completed, and the
  // password is only used when the login is first registered.
  const authModule = container.resolve(Modules.AUTH)
  let [admin] = await container.resolve(Modules.USER).listUsers({ email: settings.adminEmail })
  if (!admin) {
    step(`admin user ${settings.adminEmail}`)
    let roles = []
    if (FeatureFlag.isFeatureEnabled("rbac")) {
      const superAdmin = await container
        .resolve(Modules.RBAC)
        .listRbacRoles({ id: "role_super_admin" })
      roles = superAdmin.map((r) => r.id)
    }
    ;({
      result: [admin],
    } = await container.resolve(Modules.WORKFLOW_ENGINE).run("create-users-workflow", {
      input: { users: [{ email: settings.adminEmail, roles }] },
    }))
  }
  const [login] = await authModule.listProviderIdentities({
    entity_id: settings.adminEmail,
    provider: "emailpass",
  })
  let identityId = login && login.auth_identity_id
  if (!identityId) {
    const { authIdentity, error } = await authModule.register("emailpass", {
      body: { email: settings.adminEmail, password: settings.adminPassword },
    })
    if (error) {
      throw new Error(`cannot register the admin login: ${error}`)
    }
    identityId = authIdentity.id
  }
  const identity = await authModule.retrieveAuthIdentity(identityId)
  if ((identity.app_metadata || {}).user_id !== admin.id) {
    await authModule.updateAuthIdentities({
      id: identityId,
      app_metadata: { ...(identity.app_metadata || {}), user_id: admin.id },
    })
  }
  step("done")
}

module.exports = { default: seed }
