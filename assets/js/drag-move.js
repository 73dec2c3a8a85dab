// Moving entries by drag and drop: a row is picked up, and a folder row or a breadcrumb
// takes it. The move dialog does the same from the keyboard; this is the mouse's way.
//
// The entry travels in the DataTransfer under its own type, so the page's file drop
// (which looks for "Files") never mistakes a row for an upload, and a row dropped on
// another tab or app carries nothing they would act on.

/** The DataTransfer type of a dragged entry: JSON `{kind, id, parent}`. */
export const ENTRY_TYPE = 'application/x-mycloud-entry';

const carriesEntry = (event) => event.dataTransfer?.types.includes(ENTRY_TYPE);

// The entry being dragged from this page. A DataTransfer's data can only be read on the
// drop, but a target must decide before (a folder does not take itself).
let picked = null;

/**
 * Lets the rows of `container` be picked up: `entryOf(row)` gives `{kind, id, parent}` for a
 * `[draggable="true"]` row (parent: the id of the folder it is in, null at the root).
 */
export function dragSource(container, entryOf, { signal }) {
  container.addEventListener('dragstart', (event) => {
    const row = event.target.closest?.('[draggable="true"]');
    const entry = row && entryOf(row);
    if (!entry || !event.dataTransfer) return;
    event.dataTransfer.setData(ENTRY_TYPE, JSON.stringify(entry));
    // Text as well, so the drag carries the name where a name makes sense (a text field).
    event.dataTransfer.setData('text/plain', entry.name ?? '');
    event.dataTransfer.effectAllowed = 'move';
    picked = entry;
    row.classList.add('dragging');
  }, { signal });
  container.addEventListener('dragend', (event) => {
    picked = null;
    event.target.closest?.('[draggable="true"]')?.classList.remove('dragging');
  }, { signal });
}

/**
 * Makes the targets inside `container` take a dragged entry: `targetOf(element, entry)`
 * gives the target (a folder row, a breadcrumb) holding `element` that would take `entry`
 * (null when dragged from elsewhere), or null; `onDrop(entry, target)` does the move.
 */
export function dropTargets(container, { targetOf, onDrop, signal }) {
  let over = null;
  const mark = (target) => {
    if (over === target) return;
    over?.classList.remove('drop-target');
    over = target;
    over?.classList.add('drop-target');
  };
  container.addEventListener('dragover', (event) => {
    if (!carriesEntry(event)) return;
    const target = targetOf(event.target, picked);
    mark(target);
    if (!target) return;
    event.preventDefault(); // allows the drop here
    event.dataTransfer.dropEffect = 'move';
  }, { signal });
  container.addEventListener('dragleave', (event) => {
    // Leaving for a child of the same target is not leaving it.
    if (over && !over.contains(event.relatedTarget)) mark(null);
  }, { signal });
  container.addEventListener('drop', (event) => {
    if (!carriesEntry(event)) return;
    const target = targetOf(event.target, picked);
    mark(null);
    if (!target) return;
    event.preventDefault();
    let entry;
    try {
      entry = JSON.parse(event.dataTransfer.getData(ENTRY_TYPE));
    } catch {
      return; // not ours after all
    }
    onDrop(entry, target);
  }, { signal });
}
