// SPDX-License-Identifier: MIT
// The benchmark's peer: a SCIM server built the way SCIMMY's documentation
// suggests, with scimmy-routers on express and users held in memory, so
// the figures measure the library stack and not a database. Bearer token
// from BENCH_TOKEN; PORT; optional SEED, a JSON Lines file of Users loaded
// at start-up, and IDS_OUT, where their ids go.
// Lookups by id and by userName use Maps, and list pages are cut before
// SCIMMY formats them, so the peer is not slowed by our glue code.
// Limitation: Users only, no Groups; issue 9 compares the peer on Users.
import crypto from "node:crypto";
import fs from "node:fs";
import readline from "node:readline";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const port = Number(process.env.PORT ?? 8099);
const token = process.env.BENCH_TOKEN ?? "bench-token";
const users = new Map();          // id -> stored user
const byName = new Map();         // lower-case userName -> id
const order = [];                 // ids in creation order, for paging

function notFound(id) {
    return new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
}

function store(id, data, created) {
    const now = new Date().toISOString();
    const user = {...JSON.parse(JSON.stringify(data)), id,
                  meta: {created: created ?? now, lastModified: now}};
    users.set(id, user);
    return user;
}

function create(data) {
    const key = String(data.userName ?? "").toLowerCase();
    if (byName.has(key))
        throw new SCIMMY.Types.Error(409, "uniqueness",
                                     "userName already exists");
    const id = crypto.randomUUID();
    byName.set(key, id);
    order.push(id);
    return store(id, data);
}

function replace(id, data) {
    const old = users.get(id);
    if (!old) throw notFound(id);
    const oldKey = String(old.userName).toLowerCase();
    const key = String(data.userName ?? "").toLowerCase();
    if (key !== oldKey) {
        if (byName.has(key))
            throw new SCIMMY.Types.Error(409, "uniqueness",
                                         "userName already exists");
        byName.delete(oldKey);
        byName.set(key, id);
    }
    return store(id, data, old.meta.created);
}

// The simple equality filters identity providers send, served by Map.
function quickFilter(filter) {
    if (!filter || filter.length !== 1) return undefined;
    const keys = Object.keys(filter[0]);
    if (keys.length !== 1) return undefined;
    const [op, value] = Array.isArray(filter[0][keys[0]])
        ? filter[0][keys[0]] : [];
    if (String(op).toLowerCase() !== "eq" || typeof value !== "string")
        return undefined;
    const attr = keys[0].toLowerCase();
    if (attr === "username") {
        const id = byName.get(value.toLowerCase());
        return id ? [users.get(id)] : [];
    }
    if (attr === "id") return users.has(value) ? [users.get(value)] : [];
    return undefined;
}

// A sparse array of the full length, filled only for the asked page:
// SCIMMY maps and counts it without formatting every stored user.
function page(list, constraints) {
    const start = Math.max(constraints?.startIndex ?? 1, 1);
    const count = constraints?.count ?? 20;
    const out = new Array(list.length);
    for (let i = start - 1; i < Math.min(list.length, start - 1 + count); i++)
        out[i] = users.get(list[i]) ?? list[i];
    return out;
}

function egress(resource) {
    if (resource.id) {
        const user = users.get(resource.id);
        if (!user) throw notFound(resource.id);
        return user;
    }
    if (resource.filter) {
        const quick = quickFilter(resource.filter);
        return quick ?? resource.filter.match([...users.values()]);
    }
    return page(order, resource.constraints);
}

function ingress(resource, instance) {
    return resource.id ? replace(resource.id, instance) : create(instance);
}

function degress(resource) {
    const user = users.get(resource.id);
    if (!user) throw notFound(resource.id);
    users.delete(resource.id);
    byName.delete(String(user.userName).toLowerCase());
    const i = order.indexOf(resource.id);
    if (i >= 0) order.splice(i, 1);
}

// Loads our own generator's Users as they are: SCIMMY's inbound coercion
// costs 0.7 ms a user and changes nothing in them; every answer still
// goes through its outbound coercion. Writes "id<TAB>userName" lines.
async function seed(file, idsFile) {
    const lines = readline.createInterface({input: fs.createReadStream(file)});
    const ids = [];
    for await (const line of lines) {
        if (!line.trim()) continue;
        const user = create(JSON.parse(line));
        ids.push(`${user.id}\t${user.userName}\n`);
    }
    if (idsFile) fs.writeFileSync(idsFile, ids.join(""));
}

SCIMMY.Resources.declare(
    SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
    .ingress(ingress).egress(egress).degress(degress);

if (process.env.SEED) await seed(process.env.SEED, process.env.IDS_OUT);

const app = express();
app.disable("x-powered-by");
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (req) => {
        if (req.header("Authorization") !== `Bearer ${token}`)
            throw new Error("Invalid bearer token");
        return "bench";
    },
}));
app.listen(port, "127.0.0.1", () => {
    console.log(`peer: ${users.size} users on 127.0.0.1:${port}`);
});
