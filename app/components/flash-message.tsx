export function FlashMessage({ flash }: { flash: { kind: 'success' | 'error' | 'info'; message: string } }) {
  return (
    // Announced by the page's always-present live region (root.tsx), not a region of its own.
    <div className={`flash flash-${flash.kind}`}>{flash.message}</div>
  );
}
