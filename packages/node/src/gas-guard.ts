import { sleep } from "@hydrogen/protocol";
import type { Logger } from "pino";
import { formatEther } from "viem";
import type { NodeChain } from "./chain/contracts.ts";
import type { Staking } from "./staking.ts";

export interface GasGuardOptions {
  /** Gas one task's transactions take at most (commitment, disclosure, upload report), with headroom. */
  gasPerTask: number;
  /** How often the balance is looked at. */
  intervalMs: number;
}

/** What the guard has to say, for the dashboard and the metric. */
export interface GasGuardState {
  low: boolean;
  reason: string | undefined;
}

/**
 * Keeps a node that cannot pay for a task's transactions out of new tasks (spec §6: its own
 * trouble must not cost it its stake, nor cost an application a cancelled task): when the ETH
 * balance falls below one task's gas at the current fee, the node pauses itself and says why;
 * once the balance covers two tasks again, it resumes (only what it paused itself).
 */
export class GasGuard {
  readonly state: GasGuardState = { low: false, reason: undefined };
  private pausedByGuard = false;

  constructor(
    private readonly options: GasGuardOptions,
    private readonly deps: {
      chain: NodeChain;
      staking: Staking;
      log: Logger;
      onChange: (state: GasGuardState, previousReason: string | undefined) => void;
    },
  ) {}

  /** Checks every `intervalMs` until `signal` aborts; a failed check is logged and tried again. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.check().catch((error: unknown) =>
        this.deps.log.warn({ err: error }, "could not check the gas balance; trying again"),
      );
      await sleep(this.options.intervalMs, signal).catch(() => {});
    }
  }

  /** One look at the balance: pause, resume, or nothing. */
  async check(): Promise<void> {
    const { chain, staking, log } = this.deps;
    const [stake, fees] = await Promise.all([staking.status(), chain.client.estimateFeesPerGas()]);
    const perTask = BigInt(this.options.gasPerTask) * (fees.maxFeePerGas ?? fees.gasPrice ?? 0n);
    const balance = stake.gasWei;
    if (balance < perTask) {
      const reason =
        `the ETH balance ${formatEther(balance)} is below the ${formatEther(perTask)} one task's transactions ` +
        `need at the current fee: send ETH to ${chain.address}`;
      this.set(true, reason);
      if (stake.status === "Available" || stake.status === "Busy") {
        log.warn({ balanceWei: String(balance), perTaskWei: String(perTask) }, "low on gas; pausing");
        try {
          await staking.act("pause");
          this.pausedByGuard = true;
        } catch (error) {
          log.error({ err: error }, "low on gas and could not pause");
        }
      }
      return;
    }
    if (this.state.low && balance >= 2n * perTask) {
      this.set(false, undefined);
      if (this.pausedByGuard && (stake.status === "Paused" || stake.status === "PendingPause")) {
        log.info({ balanceWei: String(balance) }, "gas balance restored; resuming");
        await staking.act("resume");
      }
      this.pausedByGuard = false;
    }
  }

  private set(low: boolean, reason: string | undefined): void {
    if (this.state.low === low && this.state.reason === reason) return;
    const previousReason = this.state.reason;
    this.state.low = low;
    this.state.reason = reason;
    this.deps.onChange(this.state, previousReason);
  }
}
