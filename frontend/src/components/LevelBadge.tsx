import { isLevel } from '../types';

export function LevelBadge({ level }: { level: string }) {
  const known = isLevel(level);
  return (
    <span
      className={`level-badge level-${known ? level : 'unknown'}`}
      data-testid="level-badge"
      data-level={level}
    >
      {level || '?'}
    </span>
  );
}
