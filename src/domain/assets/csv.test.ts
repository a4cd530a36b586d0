import { describe, expect, it } from 'vitest';
import { mapHeader, rowToFields } from './csv.js';

describe('asset CSV header', () => {
  it('matches columns loosely and reports unknown and repeated ones by position', () => {
    const { columns, problems } = mapHeader(['Hostname', 'IP addresses', 'System Type', 'colour', 'hostname']);
    expect(columns.slice(0, 3)).toEqual(['hostname', 'ip_addresses', 'system_type']);
    expect(problems).toEqual([
      expect.objectContaining({ column: 4, message: expect.stringContaining('unknown column "colour"') }),
      expect.objectContaining({ column: 5, message: expect.stringContaining('repeats column 1') }),
    ]);
  });
  it('requires a hostname or id column', () => {
    expect(mapHeader(['fqdn']).problems[0]?.message).toContain('"hostname" column is required');
  });
});

describe('asset CSV row', () => {
  const { columns } = mapHeader(['hostname', 'environment', 'system_type', 'tags', 'ip_addresses', 'department', 'description']);
  it('accepts labels for enumerations and splits lists', () => {
    const { fields } = rowToFields(columns, ['web01', 'Prod', 'Web server', 'pci; dmz', '10.0.0.1 10.0.0.2', '', "'=1+1"]);
    expect(fields).toMatchObject({
      hostname: 'web01',
      environment: 'production',
      systemType: 'web_server',
      tags: ['pci', 'dmz'],
      ipAddresses: ['10.0.0.1', '10.0.0.2'],
      department: null,
      description: '=1+1',
    });
  });
  it('passes unknown enumeration values through for validation to reject', () => {
    expect(rowToFields(columns, ['web01', 'moon', 'toaster', '', '', '', '']).fields).toMatchObject({ environment: 'moon', systemType: 'toaster' });
  });
});
