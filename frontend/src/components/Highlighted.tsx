import { memo } from 'react';
import { splitMatches } from '../highlight';

/** `text` with the query's matches in <mark>. */
export const Highlighted = memo(function Highlighted({ text, regex }: { text: string; regex: RegExp | null }) {
  if (!regex) return <>{text}</>;
  return (
    <>
      {splitMatches(text, regex).map((piece, i) => (piece.match ? <mark key={i}>{piece.text}</mark> : piece.text))}
    </>
  );
});
