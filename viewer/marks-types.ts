// The marks contract between the viewer (h14v) and the reader form (h20b); see OWNERS.md.
export type MarkKind = 'point' | 'box' | 'ellipse' | 'polygon';
export type ImageRef = { sopInstanceUid?: string; frame?: number; url?: string };
/** Image pixel coordinates: x = column, y = row, (0,0) = top-left corner of the first pixel.
 *  point: 1 point; box and ellipse: 2 opposite corners of the bounding box; polygon: >= 3 vertices. */
/** `label` is drawn beside the mark; `spacing` is the image's pixel spacing [row, column] in mm
 *  when its DICOM header gives one (set on marks drawn on DICOM images; kept as given on replay). */
export type Mark = { id: string; kind: MarkKind; image: ImageRef; points: [number, number][]; label?: string; spacing?: [number, number] };
export type MarkLayer = { key: string; colour: string; marks: Mark[]; label?: string }; // read-only overlays (adjudicator)
export type MarksOptions = {
  editable: boolean;
  marks: Mark[]; // the reader's own marks, replayed exactly
  layers?: MarkLayer[]; // other readers' marks, masked identities, one colour each
  tools?: MarkKind[]; // which tools the item allows
  onChange?: (marks: Mark[]) => void; // after every add / move / delete
  onSelect?: (id: string | null) => void;
  onTool?: (kind: MarkKind | null) => void; // after the tool changes (keys, buttons, Escape)
};
// mount(element, images, protocol, { marks?: MarksOptions }) returns a handle with:
//   setTool(kind: MarkKind | null), selectMark(id: string | null), deleteSelected(), setMarks(marks: Mark[]),
//   plus what it already has. Keys: P point, B box, E ellipse, G polygon, Delete removes the selected mark, Escape ends the tool.
