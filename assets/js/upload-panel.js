// The folder view's upload card (a comment for the next uploads, "Upload files", "Upload
// a folder") and drops of files and folders anywhere on the page, with an overlay while
// something is dragged over it. What it uploads goes into the folder on screen.

import { h, toast } from './dom.js';
import { errorMessage } from './errors.js';
import { readDrop, treeFromPicker, uploadTree, walkDirectories } from './folder-upload.js';
import { setText } from './i18n.js';
import { icon } from './icons.js';
import * as rules from './rules.js';
import { uploadFiles } from './upload.js';

/**
 * Builds the card and starts taking drops until `signal` aborts. `folderId()` is the
 * folder on screen (null: the root); `userId` is set when an admin uploads for that user.
 * Returns `{element, overlay}` for the page to place.
 */
export function createUploadPanel({ userId, folderId, signal }) {
  const input = h('input', {
    id: 'upload-input',
    class: 'visually-hidden',
    type: 'file',
    name: 'file',
    multiple: true,
    tabindex: '-1', // the Upload button is the control; this input only holds the choice
    data: { uploadInput: '' },
  });
  const folderInput = h('input', {
    id: 'upload-folder-input',
    class: 'visually-hidden',
    type: 'file',
    webkitdirectory: true,
    tabindex: '-1',
    data: { uploadFolderInput: '' },
  });
  const comment = h('input', {
    id: 'upload-comment',
    name: 'comment',
    type: 'text',
    autocomplete: 'off',
    maxlength: '1000',
    data: { uploadComment: '' },
    tAttrs: { placeholder: 'files.comment_placeholder' },
  });
  const chooser = h('button', { type: 'submit', class: 'button button-primary upload-button' },
    icon('upload'), h('span', { t: 'files.upload' }));
  const folderChooser = h('button', { type: 'button', class: 'button upload-button', data: { action: 'upload-folder' } },
    icon('folder-upload'), h('span', { t: 'files.upload_folder' }));
  const formEl = h('form', { class: 'upload-form', data: { form: 'comment-upload' }, novalidate: true },
    h('div', { class: 'field upload-comment-field' },
      h('label', { for: comment.id, t: 'files.comment_label' }),
      comment,
      h('p', { class: 'field-error', data: { errorFor: 'comment' }, 'aria-live': 'polite' })),
    h('div', { class: 'upload-actions' }, input, folderInput, chooser, folderChooser));
  // The button opens the file chooser; Enter in the comment field does the same.
  formEl.addEventListener('submit', (event) => {
    event.preventDefault();
    if (commentProblem()) return;
    input.click();
  });
  folderChooser.addEventListener('click', () => {
    if (!commentProblem()) folderInput.click();
  });
  comment.addEventListener('input', commentProblem);
  input.addEventListener('change', () => {
    start([...input.files]);
    input.value = ''; // so choosing the same file again uploads it again
  });
  folderInput.addEventListener('change', () => {
    startTree(treeFromPicker(folderInput.files), folderId());
    folderInput.value = '';
  });

  function commentProblem() {
    const problem = rules.comment(comment.value);
    setText(formEl.querySelector('[data-error-for="comment"]'), problem ?? '');
    return problem;
  }

  /** Uploads `files` into folder `parentId`. */
  function start(files, parentId = folderId()) {
    if (!files.length || commentProblem()) return;
    uploadFiles(files, { comment: comment.value, userId, folderId: parentId });
  }

  /** Uploads a tree of folders and files into folder `parentId`. */
  function startTree(tree, parentId) {
    if ((!tree.files.length && !tree.folders.length) || commentProblem()) return;
    uploadTree(tree, { parentId, userId, comment: comment.value }).catch((err) => toast(errorMessage(err), { error: true }));
  }

  const overlay = h('div', { class: 'drop-overlay', hidden: true },
    h('div', { class: 'drop-overlay-inner' }, icon('upload'), h('p', { t: 'files.drop_here' })));
  acceptDrops({ overlay, signal, onDrop: start, onDropTree: startTree, folderId });

  const element = h('section', { class: 'card upload-card' }, formEl,
    h('p', { class: 'upload-hint', t: 'files.drop_hint' }));
  return { element, overlay };
}

/** Files and folders dropped anywhere on the page upload too; `overlay` shows while dragging. */
function acceptDrops({ overlay, signal, onDrop, onDropTree, folderId }) {
  let depth = 0; // dragenter/leave fire for every child crossed: count to know when out
  // Only files from outside: a row of the table being moved carries no "Files".
  const carriesFiles = (event) => event.dataTransfer?.types.includes('Files');
  const hide = () => {
    depth = 0;
    overlay.hidden = true;
  };
  document.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
  }, { signal });
  document.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = 'copy';
  }, { signal });
  document.addEventListener('dragleave', (event) => {
    if (!carriesFiles(event)) return;
    depth -= 1;
    if (depth <= 0) hide();
  }, { signal });
  document.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // else the browser opens the file in place of the app
    hide();
    // The drop's items are readable only now; the directories are walked afterwards,
    // into the folder that was on screen at the drop.
    const { files, directories } = readDrop(event.dataTransfer);
    const parentId = folderId();
    onDrop(files, parentId);
    if (!directories.length) return;
    walkDirectories(directories).then(
      (tree) => onDropTree(tree, parentId),
      (err) => toast(errorMessage(err), { error: true }),
    );
  }, { signal });
}
