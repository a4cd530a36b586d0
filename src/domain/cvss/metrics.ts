// CVSS metric vocabularies, in the order each specification lists them:
//   v2.0: "A Complete Guide to the Common Vulnerability Scoring System Version 2.0"
//         (FIRST, 2007), section 2.4 and tables 1-3;
//   v3.0: "CVSS v3.0 Specification Document" (FIRST), section 6, table 15;
//   v3.1: "CVSS v3.1 Specification Document" (FIRST, 2019), section 6, table 15;
//   v4.0: "CVSS v4.0 Specification Document" (FIRST, 2023), section 7, table 23.
// Pure data: no I/O.

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export type MetricGroup = 'base' | 'temporal' | 'threat' | 'environmental' | 'supplemental';

export interface MetricDefinition {
  /** Abbreviated metric name as it appears in the vector, e.g. `AV`. */
  readonly key: string;
  readonly name: string;
  readonly group: MetricGroup;
  /** Allowed abbreviated values, e.g. `N`, `A`, `L`, `P`. */
  readonly values: readonly string[];
}

export interface VersionDefinition {
  readonly version: CvssVersion;
  /** Every metric of the version, in the specification's order. */
  readonly metrics: readonly MetricDefinition[];
  /**
   * Whether the specification fixes the order of metrics in the vector string.
   * v2.0: "The vector lists these metrics in a predetermined order".
   * v3.0/v3.1: "Metrics can be specified in any order in a vector string".
   * v4.0: metrics appear in the order of table 23 (the official JSON schema's
   * pattern enforces that order too).
   */
  readonly orderFixed: boolean;
}

const m = (key: string, name: string, group: MetricGroup, values: string): MetricDefinition => ({
  key,
  name,
  group,
  values: values.split(','),
});

const V2: VersionDefinition = {
  version: '2.0',
  orderFixed: true,
  metrics: [
    m('AV', 'Access Vector', 'base', 'L,A,N'),
    m('AC', 'Access Complexity', 'base', 'H,M,L'),
    m('Au', 'Authentication', 'base', 'M,S,N'),
    m('C', 'Confidentiality Impact', 'base', 'N,P,C'),
    m('I', 'Integrity Impact', 'base', 'N,P,C'),
    m('A', 'Availability Impact', 'base', 'N,P,C'),
    m('E', 'Exploitability', 'temporal', 'U,POC,F,H,ND'),
    m('RL', 'Remediation Level', 'temporal', 'OF,TF,W,U,ND'),
    m('RC', 'Report Confidence', 'temporal', 'UC,UR,C,ND'),
    m('CDP', 'Collateral Damage Potential', 'environmental', 'N,L,LM,MH,H,ND'),
    m('TD', 'Target Distribution', 'environmental', 'N,L,M,H,ND'),
    m('CR', 'Confidentiality Requirement', 'environmental', 'L,M,H,ND'),
    m('IR', 'Integrity Requirement', 'environmental', 'L,M,H,ND'),
    m('AR', 'Availability Requirement', 'environmental', 'L,M,H,ND'),
  ],
};

const v3Metrics: readonly MetricDefinition[] = [
  m('AV', 'Attack Vector', 'base', 'N,A,L,P'),
  m('AC', 'Attack Complexity', 'base', 'L,H'),
  m('PR', 'Privileges Required', 'base', 'N,L,H'),
  m('UI', 'User Interaction', 'base', 'N,R'),
  m('S', 'Scope', 'base', 'U,C'),
  m('C', 'Confidentiality', 'base', 'H,L,N'),
  m('I', 'Integrity', 'base', 'H,L,N'),
  m('A', 'Availability', 'base', 'H,L,N'),
  m('E', 'Exploit Code Maturity', 'temporal', 'X,H,F,P,U'),
  m('RL', 'Remediation Level', 'temporal', 'X,U,W,T,O'),
  m('RC', 'Report Confidence', 'temporal', 'X,C,R,U'),
  m('CR', 'Confidentiality Requirement', 'environmental', 'X,H,M,L'),
  m('IR', 'Integrity Requirement', 'environmental', 'X,H,M,L'),
  m('AR', 'Availability Requirement', 'environmental', 'X,H,M,L'),
  m('MAV', 'Modified Attack Vector', 'environmental', 'X,N,A,L,P'),
  m('MAC', 'Modified Attack Complexity', 'environmental', 'X,L,H'),
  m('MPR', 'Modified Privileges Required', 'environmental', 'X,N,L,H'),
  m('MUI', 'Modified User Interaction', 'environmental', 'X,N,R'),
  m('MS', 'Modified Scope', 'environmental', 'X,U,C'),
  m('MC', 'Modified Confidentiality', 'environmental', 'X,N,L,H'),
  m('MI', 'Modified Integrity', 'environmental', 'X,N,L,H'),
  m('MA', 'Modified Availability', 'environmental', 'X,N,L,H'),
];

const V30: VersionDefinition = { version: '3.0', orderFixed: false, metrics: v3Metrics };
const V31: VersionDefinition = { version: '3.1', orderFixed: false, metrics: v3Metrics };

const V40: VersionDefinition = {
  version: '4.0',
  orderFixed: true,
  metrics: [
    m('AV', 'Attack Vector', 'base', 'N,A,L,P'),
    m('AC', 'Attack Complexity', 'base', 'L,H'),
    m('AT', 'Attack Requirements', 'base', 'N,P'),
    m('PR', 'Privileges Required', 'base', 'N,L,H'),
    m('UI', 'User Interaction', 'base', 'N,P,A'),
    m('VC', 'Vulnerable System Confidentiality Impact', 'base', 'H,L,N'),
    m('VI', 'Vulnerable System Integrity Impact', 'base', 'H,L,N'),
    m('VA', 'Vulnerable System Availability Impact', 'base', 'H,L,N'),
    m('SC', 'Subsequent System Confidentiality Impact', 'base', 'H,L,N'),
    m('SI', 'Subsequent System Integrity Impact', 'base', 'H,L,N'),
    m('SA', 'Subsequent System Availability Impact', 'base', 'H,L,N'),
    m('E', 'Exploit Maturity', 'threat', 'X,A,P,U'),
    m('CR', 'Confidentiality Requirement', 'environmental', 'X,H,M,L'),
    m('IR', 'Integrity Requirement', 'environmental', 'X,H,M,L'),
    m('AR', 'Availability Requirement', 'environmental', 'X,H,M,L'),
    m('MAV', 'Modified Attack Vector', 'environmental', 'X,N,A,L,P'),
    m('MAC', 'Modified Attack Complexity', 'environmental', 'X,L,H'),
    m('MAT', 'Modified Attack Requirements', 'environmental', 'X,N,P'),
    m('MPR', 'Modified Privileges Required', 'environmental', 'X,N,L,H'),
    m('MUI', 'Modified User Interaction', 'environmental', 'X,N,P,A'),
    m('MVC', 'Modified Vulnerable System Confidentiality', 'environmental', 'X,H,L,N'),
    m('MVI', 'Modified Vulnerable System Integrity', 'environmental', 'X,H,L,N'),
    m('MVA', 'Modified Vulnerable System Availability', 'environmental', 'X,H,L,N'),
    m('MSC', 'Modified Subsequent System Confidentiality', 'environmental', 'X,H,L,N'),
    m('MSI', 'Modified Subsequent System Integrity', 'environmental', 'X,S,H,L,N'),
    m('MSA', 'Modified Subsequent System Availability', 'environmental', 'X,S,H,L,N'),
    m('S', 'Safety', 'supplemental', 'X,N,P'),
    m('AU', 'Automatable', 'supplemental', 'X,N,Y'),
    m('R', 'Recovery', 'supplemental', 'X,A,U,I'),
    m('V', 'Value Density', 'supplemental', 'X,D,C'),
    m('RE', 'Vulnerability Response Effort', 'supplemental', 'X,L,M,H'),
    m('U', 'Provider Urgency', 'supplemental', 'X,Clear,Green,Amber,Red'),
  ],
};

export const CVSS_VERSIONS: Readonly<Record<CvssVersion, VersionDefinition>> = {
  '2.0': V2,
  '3.0': V30,
  '3.1': V31,
  '4.0': V40,
};
