/**
 * The structured definition editor: the reader form, the reference standard, the evidence
 * mapping, the truth policy and the hanging protocol as ordinary form inputs. It renders any
 * draft (also an invalid one, as posted back with its problems); the server decodes and checks it.
 * No zod here: the lists it offers (evidence kinds, tools, layouts) come from the loader.
 */
import { inputId, inputName } from './definition-editor-form.ts';
import { arr, Check, ListMarker, obj, Op, Pick, RowErrors, RowOps, str, Txt } from './definition-editor-inputs.tsx';
import { FindingRows, MarksItems, QuestionList } from './definition-editor-items.tsx';

export type EditorChoices = {
  evidenceKinds: string[];
  markTools: string[];
  windowClose: string[];
  layouts: { id: string; name: string }[];
};

const RULE_WORDS: Record<string, string> = {
  unanimous: 'all readers agree',
  m_of_k: 'a majority',
  ordinal_distance: 'answers close on the scale',
  numeric_tolerance: 'numbers within a tolerance',
};

function ReaderFormSection({ form, choices, layout }: { form: Record<string, unknown>; choices: EditorChoices; layout: string }) {
  const findings = arr(form.findings);
  const perFinding = findings.length > 0 || arr(form.fields).some((f) => obj(f).scope === 'finding');
  return (
    <section className="panel de-section" aria-labelledby="de-form-h">
      <h3 id="de-form-h">Reader form</h3>
      <p className="muted">What every reader answers for each case, in this order.</p>
      <FindingRows rows={findings} />
      <h4>Questions</h4>
      <QuestionList listPath="readerForm.fields" fields={arr(form.fields)} perFinding={perFinding} what="a question" />
      <h4>Marks on the images</h4>
      <MarksItems rows={arr(form.marks)} present={Array.isArray(form.marks)} tools={choices.markTools} perFinding={perFinding} />
      <h4>Also asked</h4>
      <Check path="readerForm.confidence" label="Confidence (0–100)" checked={form.confidence} />
      <Check path="readerForm.comment" label="Free-text comment" checked={form.comment ?? true} />
      <h4>Hanging protocol</h4>
      <Pick
        path="hanging"
        name="hanging"
        label="Layout of the images"
        value={layout}
        options={[
          ['none', 'The viewer’s default (one image after another)'],
          ...(layout === 'keep' ? ([['keep', `Keep the current layout (${str(obj(form.hangingProtocol).name) || 'custom'})`]] as const) : []),
          ...choices.layouts.map((l) => [l.id, l.name] as const),
        ]}
      />
    </section>
  );
}

function ReferenceSection({ rs, fieldKeys }: { rs: Record<string, unknown>; fieldKeys: [string, string][] }) {
  const outcome = obj(rs.outcome);
  return (
    <section className="panel de-section" aria-labelledby="de-rs-h">
      <h3 id="de-rs-h">Reference standard</h3>
      <p className="muted">What is true for a case: what the readers are measured against.</p>
      <div className="de-grid">
        <Pick
          path="referenceStandard.level"
          label="Truth is decided"
          value={rs.level}
          options={[
            ['case', 'per case'],
            ['finding', 'per finding'],
          ]}
        />
        <Pick
          path="referenceStandard.source"
          label="Truth comes from"
          value={rs.source}
          options={[
            ['panel', 'the reader panel’s consensus'],
            ['evidence', 'evidence (pathology, follow-up…) through the mapping'],
          ]}
        />
        <Pick path="referenceStandard.panelField" label="Panel: the question that is the truth" value={rs.panelField} suffix="o" options={[['', '(none)'], ...fieldKeys]} />
      </div>
      <div className="de-grid">
        <Txt path="referenceStandard.outcome.label" label="Outcome" value={outcome.label} />
        <Txt path="referenceStandard.outcome.key" label="Outcome key" value={outcome.key} className="de-narrow" />
        <Txt path="referenceStandard.outcome.positiveLabel" label="Positive means" value={outcome.positiveLabel ?? 'Positive'} />
        <Txt path="referenceStandard.outcome.negativeLabel" label="Negative means" value={outcome.negativeLabel ?? 'Negative'} />
      </div>
    </section>
  );
}

function MappingSection({ mapping, choices, fieldKeys }: { mapping: Record<string, unknown>; choices: EditorChoices; fieldKeys: [string, string][] }) {
  const rules = arr(mapping.rules);
  const x = mapping.expectation === undefined ? null : obj(mapping.expectation);
  const kinds = choices.evidenceKinds.map((k) => [k, k.replace(/_/g, ' ')] as const);
  return (
    <section className="panel de-section" aria-labelledby="de-map-h">
      <h3 id="de-map-h">Evidence mapping</h3>
      <p className="muted">Which result codes of which evidence make a case (or finding) positive or negative.</p>
      <div id={inputId('mapping.rules')}>
        <ListMarker path="mapping.rules" />
        <RowErrors path="mapping.rules" />
        {rules.length ? (
          <ol className="de-option-list">
            {rules.map((r, i) => {
              const o = obj(r);
              const p = `mapping.rules.${i}`;
              return (
                <li key={i} className="de-option" id={inputId(p)}>
                  <Pick path={`${p}.kind`} label="Evidence" value={o.kind} options={kinds} />
                  <input type="hidden" name={inputName(`${p}.resultCodes`, 'a')} value="" />
                  <Txt path={`${p}.resultCodes`} label="Result codes (comma-separated)" value={arr(o.resultCodes).join(', ')} suffix="l" />
                  <Pick
                    path={`${p}.value`}
                    label="Means"
                    value={o.value === false ? 'false' : 'true'}
                    suffix="b"
                    options={[
                      ['true', 'positive'],
                      ['false', 'negative'],
                    ]}
                  />
                  <Check path={`${p}.requiresWindow`} label="Only inside the follow-up window" checked={o.requiresWindow} />
                  <RowOps listPath="mapping.rules" index={i} count={rules.length} noun={`rule ${i + 1}`} />
                </li>
              );
            })}
          </ol>
        ) : (
          <p className="muted">No rule: no evidence decides truth (fine when the panel is the truth).</p>
        )}
        <Op op="add|mapping.rules|rule">Add a rule</Op>
      </div>
      <input type="hidden" name={inputName('mapping.precedence', 'a')} value="" />
      <Txt
        path="mapping.precedence"
        label="When several results verify, which evidence wins (first wins)"
        value={arr(mapping.precedence).join(', ')}
        suffix="l"
        hint={`comma-separated, from: ${choices.evidenceKinds.join(', ')}`}
      />
      <fieldset id={inputId('mapping.expectation')}>
        <legend>Expected answers (radiologic–pathologic concordance)</legend>
        <RowErrors path="mapping.expectation" />
        <Check path="mapping.expectation.$on" label="Open a discordance review when evidence contradicts what the readers’ answers lead one to expect" checked={x !== null} />
        <div className="de-grid">
          <Pick path="mapping.expectation.field" label="Question" value={x?.field} options={[['', '(choose)'], ...fieldKeys]} />
          <input type="hidden" name={inputName('mapping.expectation.positive', 'a')} value="" />
          <Txt path="mapping.expectation.positive" label="Answers that expect positive" value={arr(x?.positive).join(', ')} suffix="l" hint="answer values, comma-separated" />
          <input type="hidden" name={inputName('mapping.expectation.negative', 'a')} value="" />
          <Txt path="mapping.expectation.negative" label="Answers that expect negative" value={arr(x?.negative).join(', ')} suffix="l" hint="answer values, comma-separated" />
        </div>
      </fieldset>
    </section>
  );
}

function PolicySection({ policy, choices }: { policy: Record<string, unknown>; choices: EditorChoices }) {
  const w = policy.followUpWindow === undefined ? null : obj(policy.followUpWindow);
  const adj = obj(policy.adjudication);
  const blinding = obj(policy.blinding);
  const rules = Object.entries(obj(policy.rules));
  const def = obj(policy.defaultRule);
  return (
    <section className="panel de-section" aria-labelledby="de-policy-h">
      <h3 id="de-policy-h">Truth policy</h3>
      <RowErrors path="truthPolicy" />
      <div className="de-grid">
        <Txt path="truthPolicy.readersPerCase" label="Readers per case" value={policy.readersPerCase} suffix="n" type="number" className="de-narrow" />
        <Pick
          path="truthPolicy.onDisagreement"
          label="When readers disagree"
          value={policy.onDisagreement ?? 'adjudicate'}
          options={[
            ['adjudicate', 'an adjudicator decides'],
            ['extra_reader', 'one more reader, then the majority'],
          ]}
        />
        <Pick
          path="truthPolicy.adjudication.mode"
          label="Adjudication by"
          value={adj.mode ?? 'single'}
          options={[
            ['single', 'one adjudicator'],
            ['panel', 'a panel'],
          ]}
        />
        <Txt path="truthPolicy.adjudication.panelSize" label="Panel size" value={adj.panelSize ?? 1} suffix="n" type="number" className="de-narrow" />
      </div>
      <p className="muted">
        Agreement: {RULE_WORDS[str(def.type)] ?? (str(def.type) || RULE_WORDS.unanimous)} by default
        {rules.length ? `; own rules for ${rules.map(([k, r]) => `${k} (${RULE_WORDS[str(obj(r).type)] ?? str(obj(r).type)})`).join(', ')}` : ''}. Change agreement rules in the
        Advanced view.
      </p>
      <fieldset id={inputId('truthPolicy.followUpWindow')}>
        <legend>Follow-up window</legend>
        <RowErrors path="truthPolicy.followUpWindow" />
        <Check path="truthPolicy.followUpWindow.$on" label="Evidence must arrive within a window after the study" checked={w !== null} />
        <div className="de-grid">
          <Txt path="truthPolicy.followUpWindow.startDays" label="Opens (days after the study)" value={w?.startDays ?? 0} suffix="n" type="number" className="de-narrow" />
          <Txt path="truthPolicy.followUpWindow.endDays" label="Closes (days after the study)" value={w?.endDays ?? 365} suffix="n" type="number" className="de-narrow" />
          <Pick
            path="truthPolicy.followUpWindow.onClose"
            label="A case without evidence when it closes becomes"
            value={w?.onClose ?? 'unverified'}
            options={choices.windowClose.map((s) => [s, s.replace(/_/g, ' ')] as const)}
          />
        </div>
      </fieldset>
      <div className="de-grid">
        <Txt
          path="truthPolicy.cannotAssessLimit"
          label="“Cannot assess” reads before the lead is asked"
          value={policy.cannotAssessLimit ?? 2}
          suffix="n"
          type="number"
          className="de-narrow"
        />
        <Txt
          path="truthPolicy.assignmentExpiryHours"
          label="A reader’s assignment expires after (hours)"
          value={policy.assignmentExpiryHours ?? 72}
          suffix="n"
          type="number"
          className="de-narrow"
        />
        <Pick
          path="truthPolicy.caseOrder"
          label="Case order"
          value={policy.caseOrder ?? ''}
          suffix="o"
          options={[
            ['', 'each reader’s own random order'],
            ['random', 'random (stated)'],
            ['fixed', 'import order for everyone'],
          ]}
        />
      </div>
      <Check path="truthPolicy.blinding.revealAfterFinish" label="After finishing a case, readers see the other reads and the truth" checked={blinding.revealAfterFinish} />
      <Check path="truthPolicy.blinding.maskReaderIdentities" label="Readers’ identities are masked" checked={blinding.maskReaderIdentities ?? true} />
      <Check path="truthPolicy.informedTruthing" label="Informed truthing: the adjudicator sees the evidence" checked={policy.informedTruthing} />
    </section>
  );
}

/** The whole structured editor (inside the page's form). */
export function DefinitionEditor({ draft, choices, layout }: { draft: Record<string, unknown>; choices: EditorChoices; layout: string }) {
  const form = obj(draft.readerForm);
  const fieldKeys = [...arr(form.fields), ...arr(form.marks).flatMap((m) => arr(obj(m).fields))]
    .map((f) => obj(f))
    .filter((f) => str(f.key))
    .map((f) => [str(f.key), `${str(f.label) || str(f.key)} (${str(f.key)})`] as [string, string]);
  return (
    <div className="de-editor">
      <ReaderFormSection form={form} choices={choices} layout={layout} />
      <ReferenceSection rs={obj(draft.referenceStandard)} fieldKeys={fieldKeys} />
      <MappingSection mapping={obj(draft.mapping)} choices={choices} fieldKeys={fieldKeys} />
      <PolicySection policy={obj(draft.truthPolicy)} choices={choices} />
    </div>
  );
}
