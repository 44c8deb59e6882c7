import * as fs from 'node:fs';
import * as path from 'node:path';
import { FUND_CURRENCY_CODES, NON_MONEY_UNITS_OF_ACCOUNT, isMoneyCurrency } from '@rsi/domain';

/**
 * The domain refuses ISO 4217 codes that are not money. Two kinds of them are listed by hand
 * in libs/domain/src/money/money.ts because the `currency-codes` package's data drops the
 * information (ISO's IsFund flag; "N.A." minor units become 0 decimals). This holds those
 * lists to the ISO XML that the package ships, so an update of the package that changes
 * them fails here. It lives outside libs/domain because it reads a file.
 */
describe('non-money ISO 4217 codes', () => {
  it('lists exactly the fund codes and N.A.-minor-unit codes of the ISO 4217 list the package ships', () => {
    const xml = fs.readFileSync(path.join(path.dirname(require.resolve('currency-codes/package.json')), 'iso-4217-list-one.xml'), 'utf8');
    const entries = [...xml.matchAll(/<CcyNtry>([\s\S]*?)<\/CcyNtry>/g)].map((match) => match[1]!);
    const codeOf = (entry: string) => /<Ccy>([A-Z]{3})<\/Ccy>/.exec(entry)?.[1];
    const funds = new Set(entries.filter((entry) => entry.includes('IsFund="true"')).map(codeOf));
    // UYW (Unidad Previsional) is an index unit like UYI that ISO does not flag as a fund.
    expect([...funds, 'UYW'].sort()).toEqual([...FUND_CURRENCY_CODES].sort());
    const notApplicable = new Set(entries.filter((entry) => /<CcyMnrUnts>N\.A\.<\/CcyMnrUnts>/.test(entry)).map(codeOf).filter((code): code is string => code !== undefined));
    const reservedEntity = new Set(entries.filter((entry) => /<CtryNm>ZZ[0-9]{2}_/.test(entry)).map(codeOf));
    const unitsOfAccount = [...notApplicable].filter((code) => !reservedEntity.has(code)).sort();
    expect(unitsOfAccount).toEqual([...NON_MONEY_UNITS_OF_ACCOUNT].sort());
    for (const code of [...notApplicable, ...funds]) expect(isMoneyCurrency(code!)).toBe(false);
  });
});
