export function FlashMessage({ flash }: { flash: { kind: 'success' | 'error' | 'info'; message: string } }) {
  return (
    <div className={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
      {flash.message}
    </div>
  );
}
