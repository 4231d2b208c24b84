import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  ABORT_REASONS,
  CHAIN_TASK_PHASES,
  NODE_STATUSES,
  NodeStatusValue,
  ROUND_STATES,
  taskPhaseSet,
  taskPhasesIn,
} from "./enums.ts";
import { nodeRegistryAbi, taskManagerAbi } from "./index.ts";

const INTERFACES = new URL("../../../../contracts/src/interfaces/", import.meta.url);

/** An enum's members from a Solidity source, in declaration order. */
function solidityEnum(file: string, name: string): string[] {
  const source = readFileSync(new URL(file, INTERFACES), "utf8");
  const body = source.match(new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`))?.[1];
  assert.ok(body, `enum ${name} not found in ${file}`);
  return body
    .split(",")
    .map((member) => member.trim())
    .filter(Boolean);
}

/** Every `internalType` of the ABI's inputs and outputs, nested ones included. */
function internalTypes(abi: readonly unknown[]): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      const item = value as Record<string, unknown>;
      if (typeof item.internalType === "string") found.add(item.internalType);
      Object.values(item).forEach(visit);
    }
  };
  visit(abi);
  return found;
}

describe("the contracts' enums", () => {
  it("match the Solidity interfaces, member for member, in order", () => {
    assert.deepEqual([...NODE_STATUSES], solidityEnum("INodeRegistry.sol", "NodeStatus"));
    assert.deepEqual([...CHAIN_TASK_PHASES], solidityEnum("ITaskManager.sol", "TaskPhase"));
    assert.deepEqual([...ROUND_STATES], solidityEnum("ITaskManager.sol", "RoundState"));
    assert.deepEqual([...ABORT_REASONS], solidityEnum("ITaskManager.sol", "AbortReason"));
  });

  it("are the enums the ABIs carry", () => {
    const registry = internalTypes(nodeRegistryAbi);
    const manager = internalTypes(taskManagerAbi);
    assert.ok(registry.has("enum INodeRegistry.NodeStatus"));
    for (const name of ["TaskPhase", "RoundState", "AbortReason"]) {
      assert.ok(manager.has(`enum ITaskManager.${name}`) || manager.has(`enum ITaskManager.${name}[3]`), name);
    }
  });

  it("give the on-chain numbers by name", () => {
    assert.equal(NodeStatusValue.Quit, 0);
    assert.equal(NodeStatusValue.PendingQuit, 5);
  });

  it("phase sets are bitmaps of 1 << phase, as UnexpectedTaskPhase carries them", () => {
    assert.equal(taskPhaseSet("Created"), `0x${"2".padStart(64, "0")}`);
    assert.equal(BigInt(taskPhaseSet("CommitmentsReady", "Success")), 0b1100n);
    assert.deepEqual(taskPhasesIn(taskPhaseSet("Success", "Created")), ["Created", "Success"]);
    assert.deepEqual(taskPhasesIn(taskPhaseSet()), []);
  });
});
