<?xml version="1.0" encoding="UTF-8"?>
<!-- aar-to-cc001c.xsl: a sigmat AAR (anticipated arrival record) to a
     CC001C-like record in the EU NCTS phase 5 namespace, for destination
     systems built around NCTS. There is no public CC001C schema in our
     reference set; the layout follows CC029C (release for transit), which
     carries the same data. Differences from NCTS, on purpose:
       - messageIdentification is the sigmat MessageID without hyphens
         (NCTS allows an..35; a UUID has 36 characters);
       - preparationDateAndTime is IssueDateTime without its "Z" (NCTS
         times carry no zone; ours are UTC);
       - sigmat keeps the seals on the consignment: they are written on the
         first TransportEquipment (one without a container if there is none);
       - each ConsignmentItem keeps sigmat's countryOfOrigin.
     Other message types are passed through unchanged. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:s="urn:sigmat:mip:transit:1"
    xmlns:ncts="http://ncts.dgtaxud.ec"
    exclude-result-prefixes="s">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/s:AAR">
    <xsl:variable name="d" select="s:Declaration"/>
    <xsl:variable name="c" select="$d/s:GoodsShipment/s:Consignment"/>
    <ncts:CC001C PhaseID="NCTS5.0">
      <messageSender><xsl:value-of select="s:SenderOfficeID"/></messageSender>
      <messageRecipient><xsl:value-of select="s:RecipientOfficeID"/></messageRecipient>
      <preparationDateAndTime><xsl:value-of select="substring(s:IssueDateTime, 1, 19)"/></preparationDateAndTime>
      <messageIdentification><xsl:value-of select="translate(s:MessageID, '-', '')"/></messageIdentification>
      <messageType>CC001C</messageType>
      <TransitOperation>
        <LRN><xsl:value-of select="$d/s:FunctionalReferenceID"/></LRN>
        <MRN><xsl:value-of select="s:DeclarationID"/></MRN>
        <declarationType><xsl:value-of select="$d/s:TypeCode"/></declarationType>
        <releaseDate><xsl:value-of select="$d/s:ReleaseDate"/></releaseDate>
        <limitDate><xsl:value-of select="$d/s:TimeLimitDate"/></limitDate>
      </TransitOperation>
      <CustomsOfficeOfDeparture>
        <referenceNumber><xsl:value-of select="$d/s:DepartureCustomsOffice/s:ID"/></referenceNumber>
      </CustomsOfficeOfDeparture>
      <CustomsOfficeOfDestinationDeclared>
        <referenceNumber><xsl:value-of select="$d/s:DestinationCustomsOffice/s:ID"/></referenceNumber>
      </CustomsOfficeOfDestinationDeclared>
      <xsl:for-each select="$d/s:TransitCustomsOffice">
        <CustomsOfficeOfTransitDeclared>
          <sequenceNumber><xsl:value-of select="position()"/></sequenceNumber>
          <referenceNumber><xsl:value-of select="s:ID"/></referenceNumber>
        </CustomsOfficeOfTransitDeclared>
      </xsl:for-each>
      <xsl:for-each select="$d/s:ExitCustomsOffice">
        <CustomsOfficeOfExitForTransitDeclared>
          <sequenceNumber>1</sequenceNumber>
          <referenceNumber><xsl:value-of select="s:ID"/></referenceNumber>
        </CustomsOfficeOfExitForTransitDeclared>
      </xsl:for-each>
      <HolderOfTheTransitProcedure>
        <identificationNumber><xsl:value-of select="$d/s:Principal/s:ID"/></identificationNumber>
        <name><xsl:value-of select="$d/s:Principal/s:Name"/></name>
        <Address>
          <streetAndNumber><xsl:value-of select="$d/s:Principal/s:Address/s:Line"/></streetAndNumber>
          <xsl:for-each select="$d/s:Principal/s:Address/s:PostcodeID">
            <postcode><xsl:value-of select="."/></postcode>
          </xsl:for-each>
          <city><xsl:value-of select="$d/s:Principal/s:Address/s:CityName"/></city>
          <country><xsl:value-of select="$d/s:Principal/s:Address/s:CountryCode"/></country>
        </Address>
      </HolderOfTheTransitProcedure>
      <Guarantee>
        <sequenceNumber>1</sequenceNumber>
        <guaranteeType>1</guaranteeType>
        <GuaranteeReference>
          <sequenceNumber>1</sequenceNumber>
          <GRN><xsl:value-of select="$d/s:ObligationGuarantee/s:ReferenceID"/></GRN>
          <amountToBeCovered><xsl:value-of select="$d/s:ObligationGuarantee/s:AmountAmount"/></amountToBeCovered>
          <currency><xsl:value-of select="$d/s:ObligationGuarantee/s:AmountAmount/@currencyID"/></currency>
        </GuaranteeReference>
      </Guarantee>
      <Consignment>
        <containerIndicator><xsl:value-of select="number(boolean($c/s:TransportEquipment))"/></containerIndicator>
        <modeOfTransportAtTheBorder><xsl:value-of select="$c/s:BorderTransportMeans/s:ModeCode"/></modeOfTransportAtTheBorder>
        <grossMass><xsl:value-of select="$d/s:TotalGrossMassMeasure"/></grossMass>
        <xsl:choose>
          <xsl:when test="$c/s:TransportEquipment">
            <xsl:for-each select="$c/s:TransportEquipment">
              <TransportEquipment>
                <sequenceNumber><xsl:value-of select="position()"/></sequenceNumber>
                <containerIdentificationNumber><xsl:value-of select="s:ID"/></containerIdentificationNumber>
                <xsl:if test="position() = 1">
                  <xsl:call-template name="seals"><xsl:with-param name="c" select="$c"/></xsl:call-template>
                </xsl:if>
              </TransportEquipment>
            </xsl:for-each>
          </xsl:when>
          <xsl:when test="$c/s:Seal">
            <TransportEquipment>
              <sequenceNumber>1</sequenceNumber>
              <xsl:call-template name="seals"><xsl:with-param name="c" select="$c"/></xsl:call-template>
            </TransportEquipment>
          </xsl:when>
        </xsl:choose>
        <xsl:for-each select="$c/s:Itinerary">
          <CountryOfRoutingOfConsignment>
            <sequenceNumber><xsl:value-of select="position()"/></sequenceNumber>
            <country><xsl:value-of select="s:RoutingCountryCode"/></country>
          </CountryOfRoutingOfConsignment>
        </xsl:for-each>
        <ActiveBorderTransportMeans>
          <sequenceNumber>1</sequenceNumber>
          <identificationNumber><xsl:value-of select="$c/s:BorderTransportMeans/s:ID"/></identificationNumber>
          <nationality><xsl:value-of select="$c/s:BorderTransportMeans/s:RegistrationNationalityCode"/></nationality>
        </ActiveBorderTransportMeans>
        <HouseConsignment>
          <sequenceNumber>1</sequenceNumber>
          <grossMass><xsl:value-of select="$d/s:TotalGrossMassMeasure"/></grossMass>
          <xsl:for-each select="$c/s:ConsignmentItem">
            <xsl:variable name="hs" select="s:Commodity/s:Classification/s:ID"/>
            <ConsignmentItem>
              <goodsItemNumber><xsl:value-of select="s:SequenceNumeric"/></goodsItemNumber>
              <declarationGoodsItemNumber><xsl:value-of select="s:SequenceNumeric"/></declarationGoodsItemNumber>
              <countryOfOrigin><xsl:value-of select="s:Origin/s:CountryCode"/></countryOfOrigin>
              <Commodity>
                <descriptionOfGoods><xsl:value-of select="s:Commodity/s:Description"/></descriptionOfGoods>
                <CommodityCode>
                  <harmonizedSystemSubHeadingCode><xsl:value-of select="substring($hs, 1, 6)"/></harmonizedSystemSubHeadingCode>
                  <xsl:if test="string-length($hs) = 8">
                    <combinedNomenclatureCode><xsl:value-of select="substring($hs, 7, 2)"/></combinedNomenclatureCode>
                  </xsl:if>
                </CommodityCode>
                <GoodsMeasure>
                  <grossMass><xsl:value-of select="s:GoodsMeasure/s:GrossMassMeasure"/></grossMass>
                </GoodsMeasure>
              </Commodity>
              <Packaging>
                <sequenceNumber>1</sequenceNumber>
                <typeOfPackages><xsl:value-of select="s:Packaging/s:TypeCode"/></typeOfPackages>
                <numberOfPackages><xsl:value-of select="s:Packaging/s:QuantityQuantity"/></numberOfPackages>
              </Packaging>
            </ConsignmentItem>
          </xsl:for-each>
        </HouseConsignment>
      </Consignment>
    </ncts:CC001C>
  </xsl:template>

  <xsl:template name="seals">
    <xsl:param name="c"/>
    <xsl:if test="$c/s:Seal">
      <numberOfSeals><xsl:value-of select="$c/s:SealQuantity"/></numberOfSeals>
      <xsl:for-each select="$c/s:Seal">
        <Seal>
          <sequenceNumber><xsl:value-of select="position()"/></sequenceNumber>
          <identifier><xsl:value-of select="s:ID"/></identifier>
        </Seal>
      </xsl:for-each>
    </xsl:if>
  </xsl:template>

  <!-- Anything else goes out as it came. -->
  <xsl:template match="/*" priority="-1">
    <xsl:copy-of select="."/>
  </xsl:template>
</xsl:stylesheet>
