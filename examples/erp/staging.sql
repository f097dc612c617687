-- ERP staging tables polled by the erp-postgres connector.
--
-- The ERP interface (SAP SLT, BODS, a nightly job...) lands the extracts' fields as they
-- come, one row per line, so the same mapping file (refinery-mapping.yaml) serves the file
-- exports and these tables. Two technical columns make incremental reading gap-free:
--
--   id    the key, unique, ordering rows inside one transaction
--   txid  the id of the transaction that wrote this row version, stamped by a trigger on
--         INSERT and UPDATE (a writer cannot set it). The connector reads only rows whose
--         txid is below the oldest transaction still running (pg_snapshot_xmin), so a row
--         of a transaction that commits late is never passed over.
--
-- Contract for the writer: the lines of one production order are inserted in ONE
-- transaction (the connector groups an order's lines within a transaction). Rows are
-- appended; an UPDATE makes the row be read again as a correction; DELETEs are not seen.

CREATE SCHEMA IF NOT EXISTS erp_staging;

CREATE OR REPLACE FUNCTION erp_staging.stamp_txid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id();
    RETURN NEW;
END
$$;

-- COOIS-style production order confirmations: 261 consumed, 101 produced
CREATE TABLE IF NOT EXISTS erp_staging.production_order_lines (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    "AUFNR"      text NOT NULL,   -- production order
    "POSNR"      text NOT NULL,   -- line
    "BWART"      text NOT NULL,   -- movement type
    "MATNR"      text NOT NULL,   -- material
    "CHARG"      text NOT NULL,   -- batch
    "MENGE"      numeric(15, 3) NOT NULL,
    "MEINS"      text NOT NULL,   -- unit of entry
    "WERKS"      text NOT NULL,   -- plant
    "LGORT"      text,            -- storage location
    "BUDAT"      text NOT NULL,   -- posting date, DD.MM.YYYY
    "CPUTM"      text NOT NULL,   -- entry time, HH:MM:SS (plant local time)
    "ELEMENT"    text,            -- payable element of a produced lot
    "GEHALT_PCT" numeric(7, 3)    -- its content, mass %
);

-- MB51-style material document items
CREATE TABLE IF NOT EXISTS erp_staging.goods_movements (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    "MBLNR" text NOT NULL,        -- material document
    "MJAHR" text NOT NULL,        -- its year
    "ZEILE" text NOT NULL,        -- its item
    "BWART" text NOT NULL,        -- movement type: 101 receipt, 601 delivery, 411 K ...
    "SOBKZ" text,                 -- special stock (K: vendor consignment)
    "MATNR" text NOT NULL,
    "CHARG" text NOT NULL,
    "MENGE" numeric(15, 3) NOT NULL,
    "MEINS" text NOT NULL,
    "WERKS" text NOT NULL,
    "LGORT" text,
    "BUDAT" text NOT NULL,        -- posting date, YYYY-MM-DD
    "CPUTM" text NOT NULL,        -- entry time, HH:MM:SS
    "EBELN" text,                 -- purchase order
    "LIFNR" text,                 -- vendor
    "KUNNR" text,                 -- customer
    "VBELN" text                  -- delivery
);

-- MSC3N-style batch master data
CREATE TABLE IF NOT EXISTS erp_staging.lot_master (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    "MATNR"      text NOT NULL,
    "CHARG"      text NOT NULL,
    "WERKS"      text NOT NULL,
    "HSDAT"      text NOT NULL,   -- date of manufacture, DD.MM.YYYY
    "MENGE"      numeric(15, 3) NOT NULL,
    "MEINS"      text NOT NULL,
    "HERKL"      text,            -- country of origin
    "ELEMENT"    text,
    "GEHALT_PCT" numeric(7, 3)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['production_order_lines', 'goods_movements', 'lot_master'] LOOP
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON erp_staging.%I (txid, id)',
                       t || '_txid_id', t);
        EXECUTE format('DROP TRIGGER IF EXISTS stamp_txid ON erp_staging.%I', t);
        EXECUTE format('CREATE TRIGGER stamp_txid BEFORE INSERT OR UPDATE ON erp_staging.%I '
                       'FOR EACH ROW EXECUTE FUNCTION erp_staging.stamp_txid()', t);
    END LOOP;
END
$$;
