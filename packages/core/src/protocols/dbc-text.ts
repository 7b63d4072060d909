/**
 * The text of coxswain's own DBC files. They are generated here so that the pure core has them without file
 * I/O; the copies shipped in packages/core/dbc/ (for CAN tools such as cantools, SavvyCAN or Vector tools) are
 * written from these functions and a test keeps the two identical.
 *
 * All signals are Intel (little-endian); identifiers are 11-bit. Physical units follow DBC habits (V, A, %,
 * degC); the codecs convert to coxswain's SI and fractions.
 */
import { CAN_MAX_DATA_LENGTH } from "../can/frame.ts";

/** Cell-monitoring frames carry three series groups each; the multiplexer selects the block of three. */
export const CMU_GROUPS_PER_FRAME = 3;
export const CMU_BLOCKS = 48;
/** Series groups the CMU protocol can address (48 blocks × 3). */
export const CMU_MAX_GROUPS = CMU_GROUPS_PER_FRAME * CMU_BLOCKS;
/** Balancing command frames carry 48 one-bit switches each. */
export const BALANCE_BITS_PER_FRAME = 48;
export const BALANCE_BLOCKS = CMU_MAX_GROUPS / BALANCE_BITS_PER_FRAME;

export const CMU_IDS = {
  cellVoltages: 0x600,
  temperatures: 0x601,
  diagnostics: 0x602,
  packCurrent: 0x603,
  packVoltages: 0x604,
  auxiliary: 0x605,
  balancing: 0x610,
  control: 0x611,
} as const;

export const HOST_IDS = {
  packState: 0x400,
  limits: 0x401,
  cellVoltages: 0x402,
  temperatures: 0x403,
  alarms: 0x404,
  requests: 0x405,
  hostCommand: 0x420,
} as const;

/** Alarm and warning categories, in the bit order of the host protocol's BMS_Alarms frame. */
export const ALARM_CATEGORIES = [
  "cellOverVoltage",
  "cellUnderVoltage",
  "overTemperature",
  "underTemperature",
  "chargeOverCurrent",
  "dischargeOverCurrent",
  "cellImbalance",
  "insulation",
  "internal",
  "communication",
  "contactor",
] as const;
export type AlarmCategory = (typeof ALARM_CATEGORIES)[number];

export const CONTACTOR_STATES = ["open", "precharge", "closed", "fault"] as const;
export type ContactorState = (typeof CONTACTOR_STATES)[number];

/** Zero-padded 1-based group number used in signal names: G001 … G144. */
export const groupTag = (group: number): string => `G${String(group + 1).padStart(3, "0")}`;
/** Zero-padded 1-based temperature-sensor number used in signal names: S001 … S144. */
export const sensorTag = (sensor: number): string => `S${String(sensor + 1).padStart(3, "0")}`;

/** Raw values that mean "no valid reading" (sensor fault, open wire): the top of the voltage range, the bottom of the temperature range. */
export const CMU_VOLTAGE_NOT_AVAILABLE = 0xffff;
export const CMU_TEMP_NOT_AVAILABLE = -0x8000;

const pascal = (s: string): string => s[0].toUpperCase() + s.slice(1);

const header = (nodes: string): string[] => [
  'VERSION "coxswain 1"',
  "",
  "NS_ :",
  "\tCM_",
  "\tBA_DEF_",
  "\tBA_",
  "\tVAL_",
  "",
  "BS_:",
  "",
  `BU_: ${nodes}`,
  "",
];

const cycleTimes = (entries: [number, number][]): string[] => [
  'BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;',
  'BA_DEF_DEF_ "GenMsgCycleTime" 0;',
  ...entries.map(([id, ms]) => `BA_ "GenMsgCycleTime" BO_ ${id} ${ms};`),
];

function counter(sender: string, receiver: string): string {
  return ` SG_ ${sender}_Counter : 56|4@1+ (1,0) [0|15] "" ${receiver}`;
}

/** DBC between cell-monitoring units (CMU) and the BMS. */
export function cmuDbcText(): string {
  const L = header("BMS CMU");
  L.push(`BO_ ${CMU_IDS.cellVoltages} CMU_CellVoltages: ${CAN_MAX_DATA_LENGTH} CMU`);
  L.push(` SG_ CMU_VoltageBlock M : 0|8@1+ (1,0) [0|${CMU_BLOCKS - 1}] "" BMS`);
  for (let b = 0; b < CMU_BLOCKS; b++)
    for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++)
      L.push(
        ` SG_ CMU_Voltage_${groupTag(b * CMU_GROUPS_PER_FRAME + k)} m${b} : ${8 + 16 * k}|16@1+ (0.0001,0) [0|6.5535] "V" BMS`,
      );
  L.push(counter("CMU", "BMS"), "");
  L.push(`BO_ ${CMU_IDS.temperatures} CMU_Temperatures: ${CAN_MAX_DATA_LENGTH} CMU`);
  L.push(` SG_ CMU_TempBlock M : 0|8@1+ (1,0) [0|${CMU_BLOCKS - 1}] "" BMS`);
  for (let b = 0; b < CMU_BLOCKS; b++)
    for (let k = 0; k < CMU_GROUPS_PER_FRAME; k++)
      L.push(
        ` SG_ CMU_Temp_${sensorTag(b * CMU_GROUPS_PER_FRAME + k)} m${b} : ${8 + 16 * k}|16@1- (0.01,0) [-327.68|327.67] "degC" BMS`,
      );
  L.push(counter("CMU", "BMS"), "");
  L.push(`BO_ ${CMU_IDS.diagnostics} CMU_Diagnostics: ${CAN_MAX_DATA_LENGTH} CMU`);
  L.push(' SG_ CMU_BoardId : 0|8@1+ (1,0) [0|255] "" BMS');
  L.push(' SG_ CMU_OpenWire : 8|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_ThermistorFault : 9|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_AdcFault : 10|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_BoardOverTemp : 11|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_BalancingActive : 12|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_BoardTemp : 16|8@1+ (1,-40) [-40|215] "degC" BMS');
  L.push(' SG_ CMU_ErrorCount : 24|8@1+ (1,0) [0|255] "" BMS');
  L.push(' SG_ CMU_FirstGroup : 32|8@1+ (1,0) [0|255] "" BMS');
  L.push(' SG_ CMU_GroupCount : 40|8@1+ (1,0) [0|255] "" BMS');
  L.push(counter("CMU", "BMS"), "");
  L.push(`BO_ ${CMU_IDS.packCurrent} CMU_PackCurrent: ${CAN_MAX_DATA_LENGTH} CMU`);
  L.push(' SG_ CMU_PackCurrent : 0|32@1- (0.001,0) [-2147483.648|2147483.647] "A" BMS');
  L.push(' SG_ CMU_PackCurrentValid : 32|1@1+ (1,0) [0|1] "" BMS');
  L.push(counter("CMU", "BMS"), "");
  L.push(`BO_ ${CMU_IDS.packVoltages} CMU_PackVoltages: ${CAN_MAX_DATA_LENGTH} CMU`);
  L.push(' SG_ CMU_PackVoltage : 0|24@1+ (0.001,0) [0|16777.215] "V" BMS');
  L.push(' SG_ CMU_LinkVoltage : 24|24@1+ (0.001,0) [0|16777.215] "V" BMS');
  L.push(' SG_ CMU_PackVoltageValid : 48|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_LinkVoltageValid : 49|1@1+ (1,0) [0|1] "" BMS');
  L.push(counter("CMU", "BMS"), "");
  L.push(`BO_ ${CMU_IDS.auxiliary} CMU_Auxiliary: ${CAN_MAX_DATA_LENGTH} CMU`);
  L.push(' SG_ CMU_InsulationResistance : 0|24@1+ (1,0) [0|16777215] "Ohm" BMS');
  L.push(' SG_ CMU_CoolantInletTemp : 24|16@1- (0.01,0) [-327.68|327.67] "degC" BMS');
  L.push(' SG_ CMU_InsulationValid : 40|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_CoolantValid : 41|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_ContactorPositiveClosed : 42|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_ContactorNegativeClosed : 43|1@1+ (1,0) [0|1] "" BMS');
  L.push(' SG_ CMU_ContactorPrechargeClosed : 44|1@1+ (1,0) [0|1] "" BMS');
  L.push(counter("CMU", "BMS"), "");
  L.push(`BO_ ${CMU_IDS.balancing} BMS_BalancingCommand: ${CAN_MAX_DATA_LENGTH} BMS`);
  L.push(` SG_ BMS_BalanceBlock M : 0|8@1+ (1,0) [0|${BALANCE_BLOCKS - 1}] "" CMU`);
  for (let b = 0; b < BALANCE_BLOCKS; b++)
    for (let k = 0; k < BALANCE_BITS_PER_FRAME; k++)
      L.push(
        ` SG_ BMS_Balance_${groupTag(b * BALANCE_BITS_PER_FRAME + k)} m${b} : ${8 + k}|1@1+ (1,0) [0|1] "" CMU`,
      );
  L.push(counter("BMS", "CMU"), "");
  L.push(`BO_ ${CMU_IDS.control} BMS_CmuControl: ${CAN_MAX_DATA_LENGTH} BMS`);
  L.push(' SG_ BMS_MeasureRequest : 0|1@1+ (1,0) [0|1] "" CMU');
  L.push(' SG_ BMS_BalancingAllowed : 1|1@1+ (1,0) [0|1] "" CMU');
  L.push(' SG_ BMS_SleepRequest : 2|1@1+ (1,0) [0|1] "" CMU');
  L.push(counter("BMS", "CMU"), "");
  L.push(
    `CM_ BO_ ${CMU_IDS.cellVoltages} "Series-group voltages, three per frame; CMU_VoltageBlock b carries groups 3b+1 to 3b+3.";`,
    `CM_ BO_ ${CMU_IDS.temperatures} "Temperature sensors, three per frame, multiplexed like the voltages.";`,
    `CM_ BO_ ${CMU_IDS.packCurrent} "Pack current from the current sensor, positive = charge.";`,
    `CM_ BO_ ${CMU_IDS.packVoltages} "Voltage across the cell string and across the DC link (load side of the contactors).";`,
    `CM_ BO_ ${CMU_IDS.auxiliary} "Insulation monitor, coolant inlet temperature, contactor auxiliary contacts.";`,
    `CM_ SG_ ${CMU_IDS.cellVoltages} CMU_Voltage_G001 "Raw 65535 means no valid reading (the same for every group).";`,
    `CM_ SG_ ${CMU_IDS.temperatures} CMU_Temp_S001 "Raw -32768 means no valid reading (the same for every sensor).";`,
    `CM_ BO_ ${CMU_IDS.diagnostics} "One frame per monitoring board: fault flags, board temperature, the groups it measures.";`,
    `CM_ BO_ ${CMU_IDS.balancing} "Bleed-resistor switches, 48 groups per frame; BMS_BalanceBlock b carries groups 48b+1 to 48b+48.";`,
    `CM_ SG_ ${CMU_IDS.cellVoltages} CMU_Counter "Rolling 0-15 counter per frame: a stuck counter means stale data.";`,
    ...cycleTimes([
      [CMU_IDS.cellVoltages, 100],
      [CMU_IDS.temperatures, 1000],
      [CMU_IDS.diagnostics, 1000],
      [CMU_IDS.packCurrent, 10],
      [CMU_IDS.packVoltages, 100],
      [CMU_IDS.auxiliary, 100],
      [CMU_IDS.balancing, 1000],
      [CMU_IDS.control, 100],
    ]),
    "",
  );
  return `${L.join("\n")}\n`;
}

/** DBC between the BMS and the host (vehicle controller, inverter controller, energy manager). */
export function hostDbcText(): string {
  const L = header("BMS HOST");
  L.push(`BO_ ${HOST_IDS.packState} BMS_PackState: 8 BMS`);
  L.push(' SG_ BMS_PackVoltage : 0|16@1+ (0.01,0) [0|655.35] "V" HOST');
  L.push(' SG_ BMS_PackCurrent : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" HOST');
  L.push(' SG_ BMS_SOC : 32|10@1+ (0.1,0) [0|100] "%" HOST');
  L.push(' SG_ BMS_SOH : 42|10@1+ (0.1,0) [0|100] "%" HOST');
  L.push(' SG_ BMS_ContactorState : 52|2@1+ (1,0) [0|3] "" HOST');
  L.push(counter("BMS", "HOST"), "");
  L.push(`BO_ ${HOST_IDS.limits} BMS_Limits: 8 BMS`);
  L.push(' SG_ BMS_ChargeVoltageLimit : 0|16@1+ (0.1,0) [0|6553.5] "V" HOST');
  L.push(' SG_ BMS_ChargeCurrentLimit : 16|16@1+ (0.1,0) [0|6553.5] "A" HOST');
  L.push(' SG_ BMS_DischargeCurrentLimit : 32|16@1+ (0.1,0) [0|6553.5] "A" HOST');
  L.push(' SG_ BMS_DischargeVoltageLimit : 48|16@1+ (0.1,0) [0|6553.5] "V" HOST', "");
  L.push(`BO_ ${HOST_IDS.cellVoltages} BMS_CellVoltages: 8 BMS`);
  L.push(' SG_ BMS_MinCellVoltage : 0|16@1+ (0.0001,0) [0|6.5535] "V" HOST');
  L.push(' SG_ BMS_MaxCellVoltage : 16|16@1+ (0.0001,0) [0|6.5535] "V" HOST');
  L.push(' SG_ BMS_MinCellVoltageGroup : 32|8@1+ (1,0) [0|255] "" HOST');
  L.push(' SG_ BMS_MaxCellVoltageGroup : 40|8@1+ (1,0) [0|255] "" HOST', "");
  L.push(`BO_ ${HOST_IDS.temperatures} BMS_Temperatures: 8 BMS`);
  L.push(' SG_ BMS_MinTemp : 0|16@1- (0.01,0) [-327.68|327.67] "degC" HOST');
  L.push(' SG_ BMS_MaxTemp : 16|16@1- (0.01,0) [-327.68|327.67] "degC" HOST');
  L.push(' SG_ BMS_MinTempSensor : 32|8@1+ (1,0) [0|255] "" HOST');
  L.push(' SG_ BMS_MaxTempSensor : 40|8@1+ (1,0) [0|255] "" HOST', "");
  L.push(`BO_ ${HOST_IDS.alarms} BMS_Alarms: 8 BMS`);
  ALARM_CATEGORIES.forEach((c, i) => {
    L.push(` SG_ BMS_Warn${pascal(c)} : ${i}|1@1+ (1,0) [0|1] "" HOST`);
  });
  ALARM_CATEGORIES.forEach((c, i) => {
    L.push(` SG_ BMS_Alarm${pascal(c)} : ${16 + i}|1@1+ (1,0) [0|1] "" HOST`);
  });
  L.push(counter("BMS", "HOST"), "");
  L.push(`BO_ ${HOST_IDS.requests} BMS_Requests: 8 BMS`);
  L.push(' SG_ BMS_ChargeEnable : 0|1@1+ (1,0) [0|1] "" HOST');
  L.push(' SG_ BMS_DischargeEnable : 1|1@1+ (1,0) [0|1] "" HOST');
  L.push(' SG_ BMS_ForceCharge : 2|1@1+ (1,0) [0|1] "" HOST');
  L.push(' SG_ BMS_FullCharge : 3|1@1+ (1,0) [0|1] "" HOST');
  L.push(' SG_ BMS_ModuleCount : 8|8@1+ (1,0) [0|255] "" HOST');
  L.push(counter("BMS", "HOST"), "");
  L.push(`BO_ ${HOST_IDS.hostCommand} HOST_Command: 8 HOST`);
  L.push(' SG_ HOST_ContactorRequest : 0|2@1+ (1,0) [0|2] "" BMS');
  L.push(counter("HOST", "BMS"), "");
  L.push(
    `CM_ BO_ ${HOST_IDS.packState} "Pack voltage and current (positive = charge), SOC, SOH, contactor state.";`,
    `CM_ BO_ ${HOST_IDS.limits} "Limits the host must respect; current limits are magnitudes.";`,
    `CM_ BO_ ${HOST_IDS.alarms} "Warning bits 0-15 and alarm bits 16-31 by category.";`,
    `CM_ BO_ ${HOST_IDS.hostCommand} "Host keep-alive and contactor request; the BMS opens the contactors when it stops.";`,
    `CM_ SG_ ${HOST_IDS.cellVoltages} BMS_MinCellVoltageGroup "1-based series-group number.";`,
    ...cycleTimes([
      [HOST_IDS.packState, 100],
      [HOST_IDS.limits, 100],
      [HOST_IDS.cellVoltages, 1000],
      [HOST_IDS.temperatures, 1000],
      [HOST_IDS.alarms, 100],
      [HOST_IDS.requests, 1000],
      [HOST_IDS.hostCommand, 100],
    ]),
    `VAL_ ${HOST_IDS.packState} BMS_ContactorState ${CONTACTOR_STATES.map((s, i) => `${i} "${s}"`).join(" ")} ;`,
    `VAL_ ${HOST_IDS.hostCommand} HOST_ContactorRequest 0 "none" 1 "open" 2 "close" ;`,
    "",
  );
  return `${L.join("\n")}\n`;
}
