import assert from "node:assert/strict";
import { clonesAfterOrigins } from "../../lib/run/select_step.ts";
import { nameList } from "../../lib/run/destroy_step.ts";
import { type Dataset, emptyDataset } from "../../lib/zfs/listing.ts";

function ds(name: string, origin?: string): Dataset {
  return emptyDataset(name, { origin });
}

Deno.test("clonesAfterOrigins: a clone sorted before its origin moves after it, parents stay first", () => {
  const order = clonesAfterOrigins([
    ds("pool/a-clone", "pool/z/base@s1"),
    ds("pool/a-clone/child"),
    ds("pool/z"),
    ds("pool/z/base"),
  ]).map((d) => d.name);
  assert.deepEqual(order, ["pool/z", "pool/z/base", "pool/a-clone", "pool/a-clone/child"]);
});

Deno.test("clonesAfterOrigins: origins outside the selection and clone chains", () => {
  const order = clonesAfterOrigins([
    ds("p/c2", "p/c1@x"),
    ds("p/c1", "p/o@x"),
    ds("p/elsewhere", "q/not-selected@x"),
    ds("p/o"),
  ]).map((d) => d.name);
  assert.deepEqual(order, ["p/o", "p/c1", "p/c2", "p/elsewhere"]);
});

Deno.test("nameList: all names when few, the ends and a count when many", () => {
  assert.equal(nameList(["a", "b"]), "a, b");
  const many = Array.from({ length: 20 }, (_, i) => `s${i}`);
  assert.equal(nameList(many), "s0, s1, s2, ... (14 more) ..., s17, s18, s19");
});
