import { useMemo, type ReactNode, type Ref, type RefObject } from 'react';
import ReactGridLayout, { useContainerWidth, verticalCompactor, type Layout, type ResizeHandleAxis } from 'react-grid-layout';
import { GRID_COLUMNS, cellStyle, fromGridLayout, toGridLayout, type Placed } from './layout';

/** The same row height and gap as the view's CSS grid (.dashboard-grid), so editing does not reflow the page. */
export const ROW_HEIGHT = 56;
export const GAP = 10;
/** Below this width the dashboard shows its widgets stacked (styles.css), and so does the editor. */
const NARROW = 760;

function sameCells(a: readonly Placed[], b: readonly Placed[]): boolean {
  return a.length === b.length && a.every((c, i) => c.id === b[i].id && c.x === b[i].x && c.y === b[i].y && c.w === b[i].w && c.h === b[i].h);
}

function resizeHandle(axis: ResizeHandleAxis, ref: Ref<HTMLElement>): ReactNode {
  // A pointer-only affordance: the Width and Height controls in each widget's header do the same from the keyboard.
  return (
    <span
      ref={ref as Ref<HTMLSpanElement>}
      className={`react-resizable-handle react-resizable-handle-${axis} widget-resize-handle`}
      data-testid="widget-resize-handle"
      aria-hidden="true"
      title="Drag to resize"
    />
  );
}

export interface LayoutEditorProps {
  cells: Placed[];
  onChange: (cells: Placed[]) => void;
  /** One widget at its draft cell. */
  children: (cell: Placed) => ReactNode;
}

/** The dashboard grid while its layout is edited: drag a widget by its header, resize it by its corner. */
export function LayoutEditor({ cells, onChange, children }: LayoutEditorProps) {
  // Measured before the first render: a first render at a guessed width would slide every widget into place.
  const { width, containerRef, mounted } = useContainerWidth({ measureBeforeMount: true });
  // A stable layout object: react-grid-layout re-syncs its state whenever this prop changes identity.
  const layout = useMemo(() => toGridLayout(cells), [cells]);
  const changed = (reported: Layout) => {
    const next = fromGridLayout(reported);
    // react-grid-layout reports its layout after every render too; only a real change is a new draft.
    if (!sameCells(next, cells)) onChange(next);
  };
  return (
    <div ref={containerRef as RefObject<HTMLDivElement>} className="dashboard-grid-editor" data-testid="dashboard-grid" data-editing="true">
      {mounted && width < NARROW && (
        // Twelve columns do not fit a phone: the widgets stay stacked as when viewing, and the arrows and
        // sizes in each header edit the layout the wide screen shows.
        <div className="dashboard-grid">
          {cells.map((cell) => (
            <div key={String(cell.id)} className="grid-cell" style={cellStyle(cell)}>
              {children(cell)}
            </div>
          ))}
        </div>
      )}
      {mounted && width >= NARROW && (
        <ReactGridLayout
          width={width}
          layout={layout}
          gridConfig={{ cols: GRID_COLUMNS, rowHeight: ROW_HEIGHT, margin: [GAP, GAP], containerPadding: [0, 0] }}
          dragConfig={{ enabled: true, handle: '.widget-head', cancel: '.widget-controls' }}
          resizeConfig={{ enabled: true, handles: ['se'], handleComponent: resizeHandle }}
          compactor={verticalCompactor}
          onLayoutChange={changed}
        >
          {cells.map((cell) => (
            <div key={String(cell.id)} className="grid-cell">
              {children(cell)}
            </div>
          ))}
        </ReactGridLayout>
      )}
    </div>
  );
}
