/** An invoice as tesseract prints it: ragged spacing, a rule line, blank lines, stray symbols. */

export const INVOICE = `ACME Supplies GmbH
Hauptstrasse 12, 10115 Berlin

INVOICE   No. INV-2024-0117
Invoice date: 2024-03-14        Due date: 2024-04-13
Customer: Northwind Traders   Customer ID: C-4471

Description            Qty     Unit Price      Amount
-------------------------------------------------------

Steel bolts M8 x 40     250       0.12          30.00
Hex nuts M8            250        0.05         12.50
Safety gloves (pair)    12       4.95           59.40
Pallet deposit           1      1,250.00      1,250.00
Returned pallet          1     -1,250.00     (1,250.00)
Freight  surcharge       1       18.75           18.75
Subtotal                                       120.65
VAT 19%                                         22.92
Total due                                   EUR 143.57

Payment: IBAN DE89 3704 0044 0532 0130 00, reference INV-2024-0117.
Questions? invoices@acme.example or +49 30 1234567
`;
