import type { RuleState } from '../../types';

const LABELS: Record<string, string> = { ok: 'OK', firing: 'Firing', resolved: 'Resolved' };

/** A rule's state: ok (quiet), firing (the condition holds), resolved (it held and stopped). */
export function StateBadge({ state }: { state: RuleState | string }) {
  const known = state in LABELS;
  return (
    <span className={`state-badge state-${known ? state : 'unknown'}`} data-testid="rule-state" data-state={state}>
      {LABELS[state] ?? state}
    </span>
  );
}
