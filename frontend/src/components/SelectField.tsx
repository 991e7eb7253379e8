// A labelled select with an "any" first option: the filter bars' building block.
export interface SelectFieldProps {
  id: string;
  label: string;
  value: string;
  /** The text of the empty choice ("Any status"). */
  any: string;
  options: readonly (readonly [value: string, label: string])[];
  onChange(value: string): void;
}

export function SelectField({ id, label, value, any, options, onChange }: SelectFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">{any}</option>
        {options.map(([option, text]) => (
          <option key={option} value={option}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}
