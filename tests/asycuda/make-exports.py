#!/usr/bin/env python3
"""Writes the aw-*.xml and bad-many-reasons.xml fixtures of tests/asycuda:
T1 exports in the shape of ASYCUDA World SAD XML (tab-indented, <null/> for
empty values, multi-line trader names, two-digit modes, attached documents)
for the mapping profile, amendments and cancellations. Run it from
tests/asycuda after changing it; the XML files are committed."""
import datetime

def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

def leaf(ind, name, v):
    if v is None:
        return "%s<%s>\n%s\t<null/>\n%s</%s>" % (ind, name, ind, ind, name)
    if v == "":
        return "%s<%s/>" % (ind, name)
    return "%s<%s>%s</%s>" % (ind, name, esc(v), name)

def sad(d):
    t = "\t"
    out = ['<?xml version="1.0" encoding="%s" standalone="no"?>' % d.get("encoding", "UTF-8"), "<ASYCUDA>",
           t + "<Property>", leaf(t * 2, "Sad_flow", "E"),
           t * 2 + "<Nbers>", leaf(t * 3, "Total_number_of_items", str(len(d["items"]))), t * 2 + "</Nbers>",
           leaf(t * 2, "Date_of_declaration", d["reg_date"])]
    if d.get("status"):
        out.append(leaf(t * 2, "Status", d["status"]))
    out += [t + "</Property>", t + "<Identification>", t * 2 + "<Office_segment>",
            leaf(t * 3, "Customs_clearance_office_code", d["office"]),
            leaf(t * 3, "Customs_Clearance_office_name", "ABIDJAN PORT"), t * 2 + "</Office_segment>",
            t * 2 + "<Type>", leaf(t * 3, "Type_of_declaration", "TR"),
            leaf(t * 3, "Declaration_gen_procedure_code", "8"),
            leaf(t * 3, "Type_of_transit_document", d.get("tdoc", "T1")), t * 2 + "</Type>",
            leaf(t * 2, "Manifest_reference_number", None),
            t * 2 + "<Registration>", leaf(t * 3, "Serial_number", "T"), leaf(t * 3, "Number", d["reg_no"]),
            leaf(t * 3, "Date", d["reg_date"]), t * 2 + "</Registration>",
            t * 2 + "<Assessment>", leaf(t * 3, "Serial_number", "L" if d.get("rel_date") else None),
            leaf(t * 3, "Number", d.get("rel_no", "")), leaf(t * 3, "Date", d.get("rel_date", "")),
            t * 2 + "</Assessment>",
            t * 2 + "<receipt>", leaf(t * 3, "Serial_number", None), leaf(t * 3, "Number", ""),
            leaf(t * 3, "Date", ""), t * 2 + "</receipt>"]
    if d.get("cancel"):
        out += [t * 2 + "<Cancellation>", leaf(t * 3, "Date", d["cancel"][0]),
                leaf(t * 3, "Reason", d["cancel"][1]), t * 2 + "</Cancellation>"]
    out += [t + "</Identification>", t + "<Traders>", t * 2 + "<Exporter>",
            leaf(t * 3, "Exporter_code", d.get("exporter_code")),
            leaf(t * 3, "Exporter_name", d.get("exporter")), t * 2 + "</Exporter>",
            t * 2 + "<Consignee>", leaf(t * 3, "Consignee_code", d.get("consignee_code")),
            leaf(t * 3, "Consignee_name", d.get("consignee")), t * 2 + "</Consignee>",
            t * 2 + "<Financial>", leaf(t * 3, "Financial_code", ""), leaf(t * 3, "Financial_name", ""),
            t * 2 + "</Financial>", t + "</Traders>",
            t + "<Declarant>", leaf(t * 2, "Declarant_code", "CI0099881D"),
            leaf(t * 2, "Declarant_name", "Transit Express Abidjan\nZone 4, rue du Dr Blanchard\nAbidjan"),
            leaf(t * 2, "Declarant_representative", "Kouadio A."),
            t * 2 + "<Reference>", leaf(t * 3, "Number", d.get("lrn")), t * 2 + "</Reference>",
            t + "</Declarant>",
            t + "<General_information>", t * 2 + "<Country>",
            leaf(t * 3, "Country_first_destination", d.get("dest_country", "BF")),
            t * 3 + "<Export>", leaf(t * 4, "Export_country_code", "CI"),
            leaf(t * 4, "Export_country_name", "Cote d'Ivoire"), t * 3 + "</Export>",
            t * 3 + "<Destination>", leaf(t * 4, "Destination_country_code", d.get("dest_country", "BF")),
            leaf(t * 4, "Destination_country_name", "Burkina Faso"), t * 3 + "</Destination>",
            t * 2 + "</Country>", t + "</General_information>",
            t + "<Transport>", t * 2 + "<Means_of_transport>", t * 3 + "<Departure_arrival_information>",
            leaf(t * 4, "Identity", d["plate"]), leaf(t * 4, "Nationality", "CI"),
            t * 3 + "</Departure_arrival_information>", t * 3 + "<Border_information>",
            leaf(t * 4, "Identity", d.get("border_plate", d["plate"])), leaf(t * 4, "Nationality", "CI"),
            leaf(t * 4, "Mode", d.get("mode")), t * 3 + "</Border_information>",
            leaf(t * 3, "Inland_mode_of_transport", d.get("inland", "31")), t * 2 + "</Means_of_transport>",
            leaf(t * 2, "Container_flag", "true" if d.get("containers") else "false"),
            t * 2 + "<Border_office>", leaf(t * 3, "Code", d.get("border", "CIOU1")),
            leaf(t * 3, "Name", "OUANGOLODOUGOU"), t * 2 + "</Border_office>", t + "</Transport>",
            t + "<Financial>", t * 2 + "<Guarantee>", leaf(t * 3, "Name", d["guarantor"]),
            leaf(t * 3, "Amount", d["amount"]), leaf(t * 3, "Date", ""), t * 3 + "<Excluded_country>",
            leaf(t * 4, "Code", None), leaf(t * 4, "Name", None), t * 3 + "</Excluded_country>",
            t * 2 + "</Guarantee>", t + "</Financial>",
            t + "<Transit>", t * 2 + "<Principal>", leaf(t * 3, "Code", d["tin"]),
            leaf(t * 3, "Name", d["principal"]), leaf(t * 3, "Representative", None), t * 2 + "</Principal>",
            t * 2 + "<Signature>", leaf(t * 3, "Place", None), leaf(t * 3, "Date", ""), t * 2 + "</Signature>",
            t * 2 + "<Destination>", leaf(t * 3, "Office", d.get("dest", "BFOU1")),
            leaf(t * 3, "Country", d.get("dest_country", "BF")), t * 2 + "</Destination>",
            t * 2 + "<Seals>", leaf(t * 3, "Number", str(len(d["seals"])) if d["seals"] else ""),
            leaf(t * 3, "Identity", " ".join(d["seals"]) if d["seals"] else None), t * 2 + "</Seals>",
            leaf(t * 2, "Result_of_control", ""), leaf(t * 2, "Time_limit", d["limit"]),
            leaf(t * 2, "Officer_name", None), t + "</Transit>",
            t + "<Valuation>", t * 2 + "<Weight>", leaf(t * 3, "Gross_weight", ""), t * 2 + "</Weight>",
            t + "</Valuation>"]
    for k, c in enumerate(d.get("containers", [])):
        out += [t + "<Container>", leaf(t * 2, "Item_Number", str(k + 1)), leaf(t * 2, "Container_identity", c),
                leaf(t * 2, "Container_type", "40G1"), leaf(t * 2, "Empty_full_indicator", "1/1"),
                t + "</Container>"]
    for k, it in enumerate(d["items"]):
        hs, desc, n, kind, origin, kg = it
        out.append(t + "<Item>")
        for code, name, ref in d.get("docs", {}).get(k, []):
            out += [t * 2 + "<Attached_documents>", leaf(t * 3, "Attached_document_code", code),
                    leaf(t * 3, "Attached_document_name", name),
                    leaf(t * 3, "Attached_document_reference", ref),
                    leaf(t * 3, "Attached_document_date", d["reg_date"]), t * 2 + "</Attached_documents>"]
        out += [t * 2 + "<Packages>", leaf(t * 3, "Number_of_packages", str(n)),
                leaf(t * 3, "Marks1_of_packages", "S/M"), leaf(t * 3, "Kind_of_packages_code", kind),
                t * 2 + "</Packages>", t * 2 + "<Tarification>", t * 3 + "<HScode>",
                leaf(t * 4, "Commodity_code", hs), leaf(t * 4, "Precision_1", "00"), t * 3 + "</HScode>",
                leaf(t * 3, "Extended_customs_procedure", "8000"), t * 2 + "</Tarification>",
                t * 2 + "<Goods_description>", leaf(t * 3, "Country_of_origin_code", origin),
                leaf(t * 3, "Description_of_goods", desc), leaf(t * 3, "Commercial_Description", None),
                t * 2 + "</Goods_description>", t * 2 + "<Valuation_item>", t * 3 + "<Weight_itm>",
                leaf(t * 4, "Gross_weight_itm", kg), leaf(t * 4, "Net_weight_itm", kg), t * 3 + "</Weight_itm>",
                t * 2 + "</Valuation_item>", t + "</Item>"]
    out.append("</ASYCUDA>")
    text = "\n".join(out) + "\n"
    return text.encode("iso-8859-1" if d.get("encoding") == "ISO-8859-1" else "utf-8")

GOODS = [("100630", "Riz blanchi, sacs de 50 kg", 400, "BG", "TH", "20080.0"),
         ("252329", "Ciment gris CEM II 42,5", 300, "SAC", "CI", "15000"),
         ("730890", "Charpentes métalliques", 12, "PK", "CN", "8800.5")]
BASE = dict(office="CIAB1", reg_no="7001", reg_date="3/2/26", rel_no="5001", rel_date="3/3/26",
            lrn="SOTRA-7001", plate="1234 KL 01", mode="31", tin="CI0457812Z", principal="SOTRACI SARL",
            guarantor="Société Générale Côte d'Ivoire - caution en douane n° 88/2026",
            amount="12500000.00", limit="3/12/26", seals=["CIDGD0077001", "CIDGD0077002"],
            exporter="SOTRACI SARL\nBoulevard de Vridi\nAbidjan\nCOTE D'IVOIRE", exporter_code=None,
            consignee="Faso Distribution SA\nAvenue Kwamé Nkrumah\nOuagadougou", consignee_code="BF00112233K",
            items=GOODS, docs={1: [("380", "Facture commerciale", "FAC-2026-118"),
                                   ("GAR", "Garantie de transit", "26CIGAR007001")]})

def variant(**kw):
    d = dict(BASE)
    d.update(kw)
    return d

files = {
    # Single-line principal with its TIN, guarantor name, GRN attached to item 2, mode 31, no containers.
    "aw-ci-tin-only.xml": variant(),
    # Latin-1, 150 items, 3 containers, mode only in Inland_mode_of_transport, no seals.
    "aw-ci-latin1-large.xml": variant(
        encoding="ISO-8859-1", reg_no="7002", lrn="SGES-7002", mode=None, inland="31", seals=[],
        principal="Société Générale d'Équipements du Sahel\nZone industrielle de Yopougon\nAbidjan",
        tin="CI0798765A", containers=["MSCU7001001", "MSCU7001002", "TGHU7001003"],
        items=[("8471%02d" % (30 + k % 20), "Matériel informatique, lot n° %d" % (k + 1), 1 + k % 9, "CT", "CN",
                "%d.%d" % (20 + k, k % 10)) for k in range(150)],
        docs={0: [("GAR", "Garantie", "26CIGAR007002")]}),
    # Amendment: registered, then re-exported with changes, then released, then changed after release.
    "aw-ci-amend-1-registered.xml": variant(reg_no="7003", lrn="SOTRA-7003", rel_no="", rel_date=""),
    "aw-ci-amend-2-changed.xml": variant(reg_no="7003", lrn="SOTRA-7003", rel_no="", rel_date="",
                                         amount="14000000.00", limit="3/14/26"),
    "aw-ci-amend-3-released.xml": variant(reg_no="7003", lrn="SOTRA-7003", rel_date="3/4/26",
                                          amount="14000000.00", limit="3/14/26"),
    "aw-ci-amend-4-after-release.xml": variant(reg_no="7003", lrn="SOTRA-7003", rel_date="3/4/26",
                                               amount="14000000.00", limit="3/14/26",
                                               seals=["CIDGD0077001", "CIDGD0077009"],
                                               items=[GOODS[0][:5] + ("21000.0",)] + GOODS[1:]),
    # Cancellation: registered, then cancelled in ASYCUDA (a Cancellation segment; a status).
    "aw-ci-cancel-1-registered.xml": variant(reg_no="7004", lrn="SOTRA-7004", rel_no="", rel_date=""),
    "aw-ci-cancel-2-cancelled.xml": variant(reg_no="7004", lrn="SOTRA-7004", rel_no="", rel_date="",
                                            cancel=("3/3/26", "Erreur de bureau de destination")),
    "aw-ci-cancel-status.xml": variant(reg_no="7004", lrn="SOTRA-7004", rel_no="", rel_date="",
                                       status="Annulee"),
    # Many faults at once: every one must be reported.
    "bad-many-reasons.xml": variant(reg_no="7005", lrn="SOTRA-7005", tin=None, limit="bientôt", mode="99",
                                    amount="beaucoup", docs={},
                                    items=[GOODS[0], ("12AB", "Huile", 10, "JC", "CI", "200"),
                                           ("151190", "Huile", 10, "JC", "CI", "lourd")]),
}
for name, d in files.items():
    with open(name, "wb") as f:
        f.write(sad(d))
