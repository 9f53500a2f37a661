"""sad.py - ASYCUDA World SAD XML for deploy/corridor's simulated T1s, in
the shape of the exports in tests/asycuda/ (root ASYCUDA, <null/> for empty
values, M/D/YY dates): registered (Registration only) or released (with the
Assessment, i.e. validated and guarantee secured)."""
import random
from xml.sax.saxutils import escape

PRINCIPALS = {
    "CI": [("0612345K", "Société Ivoirienne de Transit Kouassi & Frères", "Rue des Pêcheurs, zone portuaire de Treichville", "Abidjan"),
           ("0734511B", "Bolloré Transport & Logistics Côte d'Ivoire", "Boulevard de Vridi", "Abidjan"),
           ("0588102M", "SDV Transit Sahel", "Avenue Christiani, Treichville", "Abidjan")],
    "TG": [("1000234561", "Togo Transit Express SARL", "Boulevard du Port, zone portuaire", "Lomé"),
           ("1000987322", "Société Togolaise de Consignation", "Rue du Commerce 12", "Lomé")],
    "BF": [("00012345X", "Faso Transit Logistique", "Avenue de la Nation, Zone du bois", "Ouagadougou"),
           ("00067890Y", "Sahel Fret International", "Route de Fada, secteur 28", "Ouagadougou")],
}
GOODS = [  # HS code, description, commercial description, kind, origin, kg per package
    ("10063000", "Riz blanchi long grain, 5 % de brisures", "sacs de 50 kg", "BG", "TH", 50.3),
    ("25232900", "Ciment Portland gris CEM II/B-L 42,5 R", None, "SA", "CI", 50.25),
    ("15119000", "Huile de palme raffinée (oléine)", "bidons de 20 litres", "JC", "CI", 19.0),
    ("17019910", "Sucre blanc cristallisé", "sacs de 50 kg", "BG", "BR", 50.2),
    ("72142000", "Barres en fer pour béton armé", "bottes de 12 m", "BE", "TR", 1000.0),
    ("31052000", "Engrais NPK 15-15-15", "sacs de 50 kg", "BG", "MA", 50.1),
    ("87042110", "Camionnettes neuves, moteur diesel", None, "NE", "JP", 2100.0),
    ("11010010", "Farine de froment", "sacs de 25 kg", "BG", "FR", 25.2),
]
NATIONALITY = {"CI": ["CI", "CI", "BF", "ML"], "TG": ["TG", "TG", "BF", "NE"], "BF": ["BF", "BF", "NE"]}


def _d(t):
    return "%d/%d/%02d" % (t.month, t.day, t.year % 100)


def _v(x):
    return "<null/>" if x is None or x == "" else escape(str(x))


def _container(rng):
    owner = rng.choice(["MSCU", "MAEU", "CMAU", "HLXU"])
    digits = "%06d" % rng.randrange(10 ** 6)
    vals, s = {}, 0
    n = 10
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:
            n += 1
        vals[c] = n
        n += 1
    for i, c in enumerate(owner + digits):
        s += (vals[c] if c.isalpha() else int(c)) * 2 ** i
    return owner + digits + str(s % 11 % 10)


def sad_xml(m, released, code2ref):
    """One T1 export of movement m (see traffic.py's plan)."""
    rng = random.Random(m["i"] * 7919 + 17)
    c = m["country"]
    code, name, street, city = rng.choice(PRINCIPALS[c])
    reg, rel = m["registered"], m["released"]
    plate = "%04d%s%02d" % (rng.randrange(10000), "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXZ") for _ in range(2)),
                            rng.randrange(1, 99))
    nat = rng.choice(NATIONALITY[c])
    seals = ["%s-DGD-%07d" % (c, 4000000 + m["i"] * 3 + k) for k in range(rng.randint(1, 3))]
    items = []
    for k in range(rng.randint(1, 3)):
        hs, desc, comm, kind, origin, kg = rng.choice(GOODS)
        n = rng.randint(20, 600) if kg < 100 else rng.randint(2, 20)
        items.append((hs, desc, comm, kind, origin, n, round(n * kg, 3)))
    containers = [_container(rng)] if rng.random() < 0.6 else []
    amount = "%.1f" % (rng.randint(15, 250) * 100000)
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>', "<ASYCUDA>",
           "<Property>", "<Sad_flow>E</Sad_flow>",
           "<Nbers><Total_number_of_items>%d</Total_number_of_items></Nbers>" % len(items),
           "<Place_of_declaration><null/></Place_of_declaration>",
           "<Date_of_declaration>%s</Date_of_declaration>" % _d(reg), "</Property>",
           "<Identification>",
           "<Office_segment><Customs_clearance_office_code>%s</Customs_clearance_office_code>" % m["dep"],
           "<Customs_Clearance_office_name><null/></Customs_Clearance_office_name></Office_segment>",
           "<Type><Type_of_declaration>TR</Type_of_declaration>"
           "<Declaration_gen_procedure_code>8</Declaration_gen_procedure_code>"
           "<Type_of_transit_document>T1</Type_of_transit_document></Type>",
           "<Manifest_reference_number><null/></Manifest_reference_number>",
           "<Registration><Serial_number>T</Serial_number><Number>%d</Number><Date>%s</Date></Registration>"
           % (m["reg_no"], _d(reg))]
    if released:
        out.append("<Assessment><Serial_number>L</Serial_number><Number>%d</Number><Date>%s</Date></Assessment>"
                   % (m["reg_no"] - 19000, _d(rel)))
    else:
        out.append("<Assessment><Serial_number><null/></Serial_number><Number></Number><Date></Date></Assessment>")
    out += ["<receipt><Serial_number><null/></Serial_number><Number></Number><Date></Date></receipt>",
            "</Identification>",
            "<Declarant><Declarant_code>%s</Declarant_code><Declarant_name>%s</Declarant_name>" % (code, _v(name)),
            "<Declarant_representative><null/></Declarant_representative>",
            "<Reference><Number>%s</Number></Reference></Declarant>" % m["lrn"],
            "<Transport><Means_of_transport>",
            "<Departure_arrival_information><Identity>%s</Identity><Nationality>%s</Nationality>"
            "</Departure_arrival_information>" % (plate, nat),
            "<Border_information><Identity>%s</Identity><Nationality>%s</Nationality><Mode>3</Mode>"
            "</Border_information>" % (plate, nat),
            "<Inland_mode_of_transport><null/></Inland_mode_of_transport></Means_of_transport>",
            "<Container_flag>%s</Container_flag>" % ("true" if containers else "false"),
            "<Border_office><Code>%s</Code><Name><null/></Name></Border_office></Transport>" % m["transit"][0],
            "<Financial><Mode_of_payment><null/></Mode_of_payment>",
            "<Guarantee><Name>Caution bancaire - Ecobank %s</Name><Amount>%s</Amount><Date>%s</Date>"
            % (c, amount, _d(reg)),
            "<Excluded_country><Code><null/></Code><Name><null/></Name></Excluded_country></Guarantee></Financial>",
            "<Transit><Principal><Code>%s</Code><Name>%s\n%s\n%s</Name>" % (code, _v(name), _v(street), _v(city)),
            "<Representative><null/></Representative></Principal>",
            "<Signature><Place><null/></Place><Date/></Signature>",
            "<Destination><Office>%s</Office><Country>%s</Country></Destination>" % (m["dst"], m["dst"][:2]),
            "<Seals><Number>%d</Number><Identity>%s</Identity></Seals>" % (len(seals), " ".join(seals)),
            "<Result_of_control/>",
            "<Time_limit>%s</Time_limit>" % _d(m["time_limit"]),
            "<Officer_name><null/></Officer_name></Transit>",
            "<Valuation><Weight><Gross_weight></Gross_weight></Weight></Valuation>"]
    for k, cid in enumerate(containers):
        out.append("<Container><Item_Number>%d</Item_Number><Container_identity>%s</Container_identity>"
                   "<Container_type>45G1</Container_type><Empty_full_indicator>1/1</Empty_full_indicator>"
                   "</Container>" % (k + 1, cid))
    grn = "%02d%sGAR%06d" % (reg.year % 100, c, m["i"] + 1)
    for k, (hs, desc, comm, kind, origin, n, kg) in enumerate(items):
        # The guarantee reference travels as an attached document (code GAR) of item 1.
        doc = ("<Attached_documents><Attached_document_code>GAR</Attached_document_code>"
               "<Attached_document_name>Guarantee</Attached_document_name>"
               "<Attached_document_reference>%s</Attached_document_reference>"
               "<Attached_document_date>%s</Attached_document_date></Attached_documents>"
               % (grn, _d(reg))) if k == 0 else ""
        out += ["<Item>" + doc + "<Packages><Number_of_packages>%d</Number_of_packages>" % n,
                "<Marks1_of_packages><null/></Marks1_of_packages><Kind_of_packages_code>%s</Kind_of_packages_code>" % kind,
                "<Kind_of_packages_name><null/></Kind_of_packages_name></Packages>",
                "<Tarification><HScode><Commodity_code>%s</Commodity_code><Precision_1>00</Precision_1>" % hs,
                "<Precision_2><null/></Precision_2></HScode><Extended_customs_procedure>8000</Extended_customs_procedure>",
                "<National_customs_procedure>000</National_customs_procedure></Tarification>",
                "<Goods_description><Country_of_origin_code>%s</Country_of_origin_code>" % origin,
                "<Country_of_origin_region><null/></Country_of_origin_region>",
                "<Description_of_goods>%s</Description_of_goods>" % _v(desc),
                "<Commercial_Description>%s</Commercial_Description></Goods_description>" % _v(comm),
                "<Valuation_item><Weight_itm><Gross_weight_itm>%.3f</Gross_weight_itm>"
                "<Net_weight_itm>%.3f</Net_weight_itm></Weight_itm></Valuation_item></Item>" % (kg, kg)]
    out.append("</ASYCUDA>")
    return "\n".join(out) + "\n"
