-- The records of exports/ as an ERP interface would land them in the staging tables
-- (load staging.sql first). One transaction per production order, as the contract says.

BEGIN;
INSERT INTO erp_staging.lot_master
    ("MATNR", "CHARG", "WERKS", "HSDAT", "MENGE", "MEINS", "HERKL", "ELEMENT", "GEHALT_PCT")
VALUES
    ('CO-HYD-01', 'RCY-2026-1028', 'FI01', '28.10.2026', 4250.000, 'KG', 'FI', 'Co', 31.50),
    ('CO-HYD-01', 'RCY-2026-1030', 'FI01', '30.10.2026', 3980.500, 'KG', 'FI', 'Co', 30.75);
COMMIT;

BEGIN;
INSERT INTO erp_staging.goods_movements
    ("MBLNR", "MJAHR", "ZEILE", "BWART", "SOBKZ", "MATNR", "CHARG", "MENGE", "MEINS",
     "WERKS", "LGORT", "BUDAT", "CPUTM", "EBELN", "LIFNR", "KUNNR", "VBELN")
VALUES
    ('5000081231', '2026', '1', '101', '', 'CO-HYD-01', 'KOL-2026-0917', 19.94, 'TO',
     'FI01', '0001', '2026-10-28', '14:10:00', '4500044120', 'V-20031', '', '');
COMMIT;

BEGIN;
INSERT INTO erp_staging.production_order_lines
    ("AUFNR", "POSNR", "BWART", "MATNR", "CHARG", "MENGE", "MEINS", "WERKS", "LGORT",
     "BUDAT", "CPUTM", "ELEMENT", "GEHALT_PCT")
VALUES
    ('1000417', '0001', '101', 'CO-SO4-21', 'CSF-2026-1101', 14.300, 'TO', 'FI01', '0002',
     '01.11.2026', '22:45:00', 'Co', 20.88),
    ('1000417', '0002', '261', 'CO-HYD-01', 'KOL-2026-0917', 10000.000, 'KG', 'FI01', '0001',
     '01.11.2026', '22:45:00', NULL, NULL),
    ('1000417', '0003', '261', 'H2SO4-96', 'ACD-2026-1031', 6.120, 'TO', 'FI01', '0003',
     '01.11.2026', '22:45:00', NULL, NULL);
COMMIT;

BEGIN;
INSERT INTO erp_staging.goods_movements
    ("MBLNR", "MJAHR", "ZEILE", "BWART", "SOBKZ", "MATNR", "CHARG", "MENGE", "MEINS",
     "WERKS", "LGORT", "BUDAT", "CPUTM", "EBELN", "LIFNR", "KUNNR", "VBELN")
VALUES
    ('5000081377', '2026', '1', '411', 'K', 'NI-MAT-75', 'NIM-2026-0330', 8.5, 'TO',
     'FI01', '0001', '2026-11-01', '23:50:00', '4500044187', 'V-20045', '', '');
COMMIT;

BEGIN;
INSERT INTO erp_staging.production_order_lines
    ("AUFNR", "POSNR", "BWART", "MATNR", "CHARG", "MENGE", "MEINS", "WERKS", "LGORT",
     "BUDAT", "CPUTM", "ELEMENT", "GEHALT_PCT")
VALUES
    ('1000418', '0001', '101', 'NI-SO4-22', 'NSF-2026-1102', 31.200, 'TO', 'FI01', '0002',
     '02.11.2026', '06:10:00', 'Ni', 22.10),
    ('1000418', '0002', '261', 'NI-MAT-75', 'NIM-2026-0330', 8.500, 'TO', 'FI01', '0001',
     '02.11.2026', '06:10:00', NULL, NULL),
    ('1000418', '0003', '261', 'H2SO4-96', 'ACD-2026-1031', 12.750, 'TO', 'FI01', '0003',
     '02.11.2026', '06:10:00', NULL, NULL);
COMMIT;

BEGIN;
INSERT INTO erp_staging.goods_movements
    ("MBLNR", "MJAHR", "ZEILE", "BWART", "SOBKZ", "MATNR", "CHARG", "MENGE", "MEINS",
     "WERKS", "LGORT", "BUDAT", "CPUTM", "EBELN", "LIFNR", "KUNNR", "VBELN")
VALUES
    ('4900023311', '2026', '1', '601', '', 'CO-SO4-21', 'CSF-2026-1101', 14.3, 'TO',
     'FI01', '0002', '2026-11-03', '07:30:00', '', '', 'C-30007', '8000112005'),
    ('4900023311', '2026', '2', '601', '', 'NI-SO4-22', 'NSF-2026-1102', 31.2, 'TO',
     'FI01', '0002', '2026-11-03', '07:30:00', '', '', 'C-30007', '8000112005');
COMMIT;
