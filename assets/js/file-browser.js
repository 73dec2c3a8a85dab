// The file manager shared by "My files" and an admin's view of a user's files: upload
// (button or drop anywhere), the table, and every row action.

import * as api from './api.js';
import { copyLink, copyText } from './clipboard.js';
import { confirmAction, h, replaceChildren, toast } from './dom.js';
import { errorMessage } from './errors.js';
import { createFileTable } from './file-table.js';
import { setText } from './i18n.js';
import { icon } from './icons.js';
import { editInPlace } from './inline-edit.js';
import * as rules from './rules.js';
import { UPLOADED, uploadFiles } from './upload.js';
import { openViewer, previewKind } from './viewer.js';

/**
 * Builds the file manager into `main` for the files of `ownerId`. `userId` is set when an
 * admin manages someone else's files (the API's `?user=`). Resolves once the list has
 * loaded (or failed to, with the error shown); the page marks itself ready then.
 */
export function mountFileBrowser(main, { ownerId, userId = null, signal, summary }) {
  const table = createFileTable({ onAction: (action, file, button) => act(action, file, button) });
  const listCard = h('section', { class: 'card files-card' }, table.element);
  const upload = uploadPanel();
  const overlay = h('div', { class: 'drop-overlay', hidden: true },
    h('div', { class: 'drop-overlay-inner' }, icon('upload'), h('p', { t: 'files.drop_here' })));
  main.append(upload.element, listCard, overlay);
  acceptDrops();

  let loaded = false;
  document.addEventListener(UPLOADED, (event) => {
    if (event.detail.owner_id !== ownerId || !loaded) return;
    table.put(event.detail);
    showState();
  }, { signal });

  async function load() {
    try {
      table.setFiles(await api.listFiles(userId, signal));
      loaded = true;
      showState();
    } catch (err) {
      if (signal.aborted) throw err;
      showLoadError(err);
    }
  }

  // -------------------------------------------------------------------------------------
  // What the list area shows: the table, the empty state, or why the list did not load

  function showState() {
    setText(summary, ['files.summary', { count: table.size, size: { bytes: table.totalBytes() } }]);
    if (table.size === 0) {
      replaceChildren(listCard, h('div', { class: 'empty-state', data: { empty: '' } },
        icon('upload'),
        h('p', { class: 'empty-title', t: 'files.empty_title' }),
        h('p', { class: 'empty-text', t: 'files.empty_text' })));
    } else if (!table.element.isConnected) {
      replaceChildren(listCard, table.element);
    }
  }

  function showLoadError(err) {
    const retry = h('button', { type: 'button', class: 'button', t: 'common.retry' });
    const message = h('p', { class: 'load-error-text' });
    setText(message, errorMessage(err));
    replaceChildren(listCard, h('div', { class: 'load-error', role: 'alert' },
      h('p', { class: 'empty-title', t: 'files.load_failed' }), message, retry));
    retry.addEventListener('click', () => {
      replaceChildren(listCard, table.element);
      table.showSkeleton();
      load().catch(() => {}); // only an abort (page left) gets here
    });
  }

  // -------------------------------------------------------------------------------------
  // Uploading

  function uploadPanel() {
    const input = h('input', {
      id: 'upload-input',
      class: 'visually-hidden',
      type: 'file',
      name: 'file',
      multiple: true,
      tabindex: '-1', // the Upload button is the control; this input only holds the choice
      data: { uploadInput: '' },
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
    const formEl = h('form', { class: 'upload-form', data: { form: 'comment-upload' }, novalidate: true },
      h('div', { class: 'field upload-comment-field' },
        h('label', { for: comment.id, t: 'files.comment_label' }),
        comment,
        h('p', { class: 'field-error', data: { errorFor: 'comment' }, 'aria-live': 'polite' })),
      h('div', { class: 'upload-actions' }, input, chooser));
    // The button opens the file chooser; Enter in the comment field does the same.
    formEl.addEventListener('submit', (event) => {
      event.preventDefault();
      if (commentProblem()) return;
      input.click();
    });
    comment.addEventListener('input', commentProblem);
    input.addEventListener('change', () => {
      start([...input.files]);
      input.value = ''; // so choosing the same file again uploads it again
    });

    function commentProblem() {
      const problem = rules.comment(comment.value);
      setText(formEl.querySelector('[data-error-for="comment"]'), problem ?? '');
      return problem;
    }

    function start(files) {
      if (!files.length || commentProblem()) return;
      uploadFiles(files, { comment: comment.value, userId });
    }

    const element = h('section', { class: 'card upload-card' }, formEl,
      h('p', { class: 'upload-hint', t: 'files.drop_hint' }));
    return { element, start };
  }

  /** Files dropped anywhere on the page upload too; an overlay shows while dragging. */
  function acceptDrops() {
    let depth = 0; // dragenter/leave fire for every child crossed: count to know when out
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
      const items = [...event.dataTransfer.items].filter((item) => item.kind === 'file');
      const folders = items.filter((item) => item.webkitGetAsEntry?.()?.isDirectory);
      if (folders.length) toast(['files.no_folders'], { error: true });
      const files = items.filter((item) => !folders.includes(item)).map((item) => item.getAsFile());
      upload.start(files.filter(Boolean));
    }, { signal });
  }

  // -------------------------------------------------------------------------------------
  // Row actions

  async function act(action, file, button) {
    try {
      await ACTIONS[action](file, button);
    } catch (err) {
      if (err.name === 'AbortError' || signal.aborted) return;
      if (err.code === 'not_found') {
        // Deleted meanwhile (another tab, an admin): the row goes too.
        table.remove(file.id);
        showState();
        toast(['files.gone', { name: file.name }], { error: true });
        return;
      }
      toast(errorMessage(err), { error: true });
    }
  }

  const ACTIONS = {
    open: (file) => (previewKind(file.content_type) ? ACTIONS.view(file) : ACTIONS.download(file)),

    async view(file) {
      markDownloaded(file); // the viewer fetches the bytes, which the server records
      await openViewer(file, { onDownload: (shown) => act('download', shown) });
    },

    async download(file) {
      const url = await api.contentLink(file.id);
      // The response is an attachment: following the link saves the file, the page stays.
      const link = h('a', { href: url, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      markDownloaded(file);
    },

    rename: (file, button) =>
      editCell(file, button.closest('.cell-edit'), {
        name: 'name',
        value: file.name,
        label: ['files.rename', { name: file.name }],
        validate: rules.fileName,
      }),

    'edit-comment': (file, button) =>
      editCell(file, button.closest('.cell-edit'), {
        name: 'comment',
        value: file.comment,
        label: ['files.edit_comment', { name: file.name }],
        validate: rules.comment,
      }),

    async share(file) {
      const shared = await api.shareFile(file.id);
      table.put(shared);
      const copied = await copyText(shared.share_url);
      toast(copied ? ['share.created_copied'] : ['share.created']);
    },

    'copy-link': (file) => copyLink(file.share_url),

    async revoke(file) {
      await api.unshareFile(file.id);
      table.put({ ...file, share_url: null });
      toast(['share.revoked', { name: file.name }]);
    },

    async delete(file) {
      const confirmed = await confirmAction({
        title: ['files.delete_title'],
        message: [file.share_url ? 'files.delete_text_shared' : 'files.delete_text', { name: file.name, size: { bytes: file.size } }],
        confirmLabel: 'files.delete_confirm',
      });
      if (!confirmed) return;
      await api.deleteFile(file.id);
      const row = table.rowOf(file.id);
      const neighbour = row?.nextElementSibling ?? row?.previousElementSibling;
      table.remove(file.id);
      showState();
      // Keyboard users carry on from the next file rather than from the top of the page.
      (neighbour?.querySelector('[data-action="open"]') ?? main).focus();
      toast(['files.deleted', { name: file.name }]);
    },
  };

  async function editCell(file, container, { name, value, label, validate }) {
    const outcome = await editInPlace(container, {
      name,
      value,
      label,
      validate,
      save: async (newValue) => {
        const updated = await api.updateFile(file.id, { [name]: newValue });
        table.put(updated);
      },
    });
    const editButton = name === 'name' ? 'rename' : 'edit-comment';
    table.rowOf(file.id)?.querySelector(`[data-action="${editButton}"]`)?.focus();
    return outcome;
  }

  function markDownloaded(file) {
    table.put({ ...file, last_downloaded_at: new Date().toISOString() });
  }

  table.showSkeleton();
  return load();
}
