<?xml version="1.0" encoding="UTF-8"?>
<!-- cc015c-to-dec.xsl: EU NCTS phase 5 CC015C (IE015, declaration data) to a
     sigmat DEC (urn:sigmat:mip:transit:1). sigmat-generic validates the
     CC015C against cc015c.xsd first, and msg_parse validates the DEC after.

     Parameters (given by sigmat-generic; xslt_param lines add more):
       message-id, issued       header of the new DEC
       mrn                      empty: sigmat-generic assigns one afterwards
       time-limit               used when TransitOperation/limitDate is absent
       default-origin-country   used when no countryOfDispatch is given
                                (CC015C phase 5 has no country of origin)
     Data our DEC requires but the CC015C lacks stops the transformation
     with an xsl:message naming the CC015C element (the API answers 422). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:ncts="http://ncts.dgtaxud.ec"
    xmlns="urn:sigmat:mip:transit:1"
    exclude-result-prefixes="ncts">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:param name="message-id"/>
  <xsl:param name="issued"/>
  <xsl:param name="mrn"/>
  <xsl:param name="time-limit"/>
  <xsl:param name="default-origin-country"/>

  <xsl:template name="require">
    <xsl:param name="value"/>
    <xsl:param name="what"/>
    <xsl:if test="string-length(normalize-space($value)) = 0">
      <xsl:message terminate="yes">CC015C: <xsl:value-of select="$what"/> is missing; the sigmat DEC requires it</xsl:message>
    </xsl:if>
  </xsl:template>

  <xsl:template match="/ncts:CC015C">
    <xsl:variable name="op" select="TransitOperation"/>
    <xsl:variable name="dep" select="CustomsOfficeOfDeparture/referenceNumber"/>
    <xsl:variable name="type" select="$op/declarationType"/>
    <xsl:if test="not($type = 'T1' or $type = 'T2' or $type = 'T2F' or $type = 'TIR')">
      <xsl:message terminate="yes">CC015C: TransitOperation/declarationType "<xsl:value-of select="$type"/>" has no sigmat TypeCode (T1, T2, T2F, TIR)</xsl:message>
    </xsl:if>
    <xsl:variable name="holder" select="HolderOfTheTransitProcedure"/>
    <xsl:call-template name="require">
      <xsl:with-param name="value" select="$holder/name"/>
      <xsl:with-param name="what">HolderOfTheTransitProcedure/name</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="require">
      <xsl:with-param name="value" select="$holder/Address/streetAndNumber"/>
      <xsl:with-param name="what">HolderOfTheTransitProcedure/Address</xsl:with-param>
    </xsl:call-template>
    <xsl:variable name="gref" select="(Guarantee/GuaranteeReference[amountToBeCovered])[1]"/>
    <xsl:call-template name="require">
      <xsl:with-param name="value" select="$gref/amountToBeCovered"/>
      <xsl:with-param name="what">Guarantee/GuaranteeReference/amountToBeCovered</xsl:with-param>
    </xsl:call-template>
    <xsl:variable name="cons" select="Consignment"/>
    <xsl:variable name="means" select="($cons/ActiveBorderTransportMeans | $cons/DepartureTransportMeans)[1]"/>
    <xsl:call-template name="require">
      <xsl:with-param name="value" select="$means/identificationNumber"/>
      <xsl:with-param name="what">Consignment/ActiveBorderTransportMeans or DepartureTransportMeans</xsl:with-param>
    </xsl:call-template>
    <xsl:variable name="mode">
      <xsl:choose>
        <xsl:when test="$cons/ActiveBorderTransportMeans and $cons/modeOfTransportAtTheBorder">
          <xsl:value-of select="$cons/modeOfTransportAtTheBorder"/>
        </xsl:when>
        <xsl:when test="$cons/inlandModeOfTransport">
          <xsl:value-of select="$cons/inlandModeOfTransport"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="$cons/modeOfTransportAtTheBorder"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="seals" select="$cons/TransportEquipment/Seal"/>

    <DEC>
      <MessageID><xsl:value-of select="$message-id"/></MessageID>
      <IssueDateTime><xsl:value-of select="$issued"/></IssueDateTime>
      <DeclarationID><xsl:value-of select="$mrn"/></DeclarationID>
      <SenderOfficeID><xsl:value-of select="$dep"/></SenderOfficeID>
      <RecipientOfficeID><xsl:value-of select="$dep"/></RecipientOfficeID>
      <Declaration>
        <FunctionalReferenceID><xsl:value-of select="$op/LRN"/></FunctionalReferenceID>
        <TypeCode><xsl:value-of select="$type"/></TypeCode>
        <TimeLimitDate>
          <xsl:choose>
            <xsl:when test="$op/limitDate"><xsl:value-of select="$op/limitDate"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="$time-limit"/></xsl:otherwise>
          </xsl:choose>
        </TimeLimitDate>
        <TotalGrossMassMeasure unitCode="KGM"><xsl:value-of select="$cons/grossMass"/></TotalGrossMassMeasure>
        <TotalPackageQuantity><xsl:value-of select="sum($cons/HouseConsignment/ConsignmentItem/Packaging/numberOfPackages)"/></TotalPackageQuantity>
        <DepartureCustomsOffice><ID><xsl:value-of select="$dep"/></ID></DepartureCustomsOffice>
        <xsl:for-each select="CustomsOfficeOfTransitDeclared">
          <xsl:sort select="sequenceNumber" data-type="number"/>
          <TransitCustomsOffice><ID><xsl:value-of select="referenceNumber"/></ID></TransitCustomsOffice>
        </xsl:for-each>
        <xsl:for-each select="CustomsOfficeOfExitForTransitDeclared[1]">
          <ExitCustomsOffice><ID><xsl:value-of select="referenceNumber"/></ID></ExitCustomsOffice>
        </xsl:for-each>
        <DestinationCustomsOffice><ID><xsl:value-of select="CustomsOfficeOfDestinationDeclared/referenceNumber"/></ID></DestinationCustomsOffice>
        <Principal>
          <Name><xsl:value-of select="$holder/name"/></Name>
          <ID><xsl:value-of select="$holder/identificationNumber"/></ID>
          <Address>
            <Line><xsl:value-of select="normalize-space($holder/Address/streetAndNumber)"/></Line>
            <CityName><xsl:value-of select="$holder/Address/city"/></CityName>
            <xsl:if test="$holder/Address/postcode">
              <PostcodeID><xsl:value-of select="normalize-space($holder/Address/postcode)"/></PostcodeID>
            </xsl:if>
            <CountryCode><xsl:value-of select="$holder/Address/country"/></CountryCode>
          </Address>
        </Principal>
        <ObligationGuarantee>
          <ReferenceID><xsl:value-of select="$gref/GRN"/></ReferenceID>
          <AmountAmount currencyID="{$gref/currency}"><xsl:value-of select="$gref/amountToBeCovered"/></AmountAmount>
        </ObligationGuarantee>
        <GoodsShipment>
          <Consignment>
            <BorderTransportMeans>
              <ID><xsl:value-of select="$means/identificationNumber"/></ID>
              <RegistrationNationalityCode><xsl:value-of select="$means/nationality"/></RegistrationNationalityCode>
              <ModeCode><xsl:value-of select="$mode"/></ModeCode>
            </BorderTransportMeans>
            <xsl:for-each select="$cons/CountryOfRoutingOfConsignment">
              <xsl:sort select="sequenceNumber" data-type="number"/>
              <Itinerary><RoutingCountryCode><xsl:value-of select="country"/></RoutingCountryCode></Itinerary>
            </xsl:for-each>
            <xsl:for-each select="$cons/TransportEquipment[containerIdentificationNumber]">
              <TransportEquipment>
                <SequenceNumeric><xsl:value-of select="position()"/></SequenceNumeric>
                <ID><xsl:value-of select="containerIdentificationNumber"/></ID>
              </TransportEquipment>
            </xsl:for-each>
            <xsl:if test="$seals">
              <SealQuantity><xsl:value-of select="count($seals)"/></SealQuantity>
              <xsl:for-each select="$seals">
                <Seal>
                  <SequenceNumeric><xsl:value-of select="position()"/></SequenceNumeric>
                  <ID><xsl:value-of select="identifier"/></ID>
                </Seal>
              </xsl:for-each>
            </xsl:if>
            <xsl:for-each select="$cons/HouseConsignment/ConsignmentItem">
              <xsl:variable name="c" select="Commodity"/>
              <xsl:variable name="origin" select="(countryOfDispatch | ../countryOfDispatch | ../../countryOfDispatch)[1]"/>
              <xsl:call-template name="require">
                <xsl:with-param name="value" select="$c/CommodityCode/harmonizedSystemSubHeadingCode"/>
                <xsl:with-param name="what">ConsignmentItem <xsl:value-of select="position()"/>: Commodity/CommodityCode/harmonizedSystemSubHeadingCode</xsl:with-param>
              </xsl:call-template>
              <xsl:call-template name="require">
                <xsl:with-param name="value" select="$c/GoodsMeasure/grossMass"/>
                <xsl:with-param name="what">ConsignmentItem <xsl:value-of select="position()"/>: Commodity/GoodsMeasure/grossMass</xsl:with-param>
              </xsl:call-template>
              <xsl:call-template name="require">
                <xsl:with-param name="value" select="concat($origin, $default-origin-country)"/>
                <xsl:with-param name="what">ConsignmentItem <xsl:value-of select="position()"/>: countryOfDispatch (or the default-origin-country parameter)</xsl:with-param>
              </xsl:call-template>
              <ConsignmentItem>
                <SequenceNumeric><xsl:value-of select="position()"/></SequenceNumeric>
                <Commodity>
                  <Description><xsl:value-of select="$c/descriptionOfGoods"/></Description>
                  <Classification>
                    <ID><xsl:value-of select="concat($c/CommodityCode/harmonizedSystemSubHeadingCode, $c/CommodityCode/combinedNomenclatureCode)"/></ID>
                  </Classification>
                </Commodity>
                <GoodsMeasure>
                  <GrossMassMeasure unitCode="KGM"><xsl:value-of select="$c/GoodsMeasure/grossMass"/></GrossMassMeasure>
                </GoodsMeasure>
                <Packaging>
                  <QuantityQuantity><xsl:value-of select="sum(Packaging/numberOfPackages)"/></QuantityQuantity>
                  <TypeCode><xsl:value-of select="Packaging[1]/typeOfPackages"/></TypeCode>
                </Packaging>
                <Origin>
                  <CountryCode>
                    <xsl:choose>
                      <xsl:when test="$origin"><xsl:value-of select="$origin"/></xsl:when>
                      <xsl:otherwise><xsl:value-of select="$default-origin-country"/></xsl:otherwise>
                    </xsl:choose>
                  </CountryCode>
                </Origin>
              </ConsignmentItem>
            </xsl:for-each>
          </Consignment>
        </GoodsShipment>
      </Declaration>
    </DEC>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">not a CC015C: root element <xsl:value-of select="name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
