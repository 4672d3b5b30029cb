/** Dataset name arithmetic (pure): pools and parents. */

/** The pool of a dataset: its first path component. */
export function poolOf(dataset: string): string {
  const i = dataset.indexOf("/");
  return i < 0 ? dataset : dataset.slice(0, i);
}

/** The parent dataset name, or undefined for a pool. */
export function parentOf(name: string): string | undefined {
  const i = name.lastIndexOf("/");
  return i < 0 ? undefined : name.slice(0, i);
}
