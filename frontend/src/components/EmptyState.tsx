export function ingestExample(origin: string): string {
  return (
    `curl -X POST ${origin}/api/v1/logs -H "Authorization: Bearer <your key>" ` +
    `-H "Content-Type: application/json" -d '{"message":"hello"}'`
  );
}

export interface EmptyStateProps {
  /** Filters are set: nothing matched, rather than nothing sent yet. */
  filtered?: boolean;
  origin?: string;
}

export function EmptyState({ filtered = false, origin = window.location.origin }: EmptyStateProps) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <h2>{filtered ? 'No logs match these filters' : 'No logs yet'}</h2>
      {filtered ? (
        <p>Try a lower level, another app, or a shorter search text.</p>
      ) : (
        <>
          <p>Send your first entry with an API key:</p>
          <pre className="code-hint" data-testid="ingest-hint">
            {ingestExample(origin)}
          </pre>
        </>
      )}
    </div>
  );
}
