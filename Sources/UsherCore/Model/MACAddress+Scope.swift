extension MACAddress {
    /// The group bit (least significant bit of the first byte): broadcast and multicast
    /// addresses, which cannot be a next hop.
    public var isMulticast: Bool { bytes[0] & 0x01 != 0 }
}
