/// Config files the tests apply. Every real has a `mac:` unless a test wants neighbour
/// resolution, so applying never asks the host's neighbour table.
enum Configs {
    /// Two services: `web` (dsr-l2, two reals) and `dns` (dsr-ipip over UDP, one real).
    static let base = """
    encapsulation:
      source-v4: 198.51.100.64/26
    services:
      - name: web
        vip: 203.0.113.10
        port: 80
        protocol: tcp
        mode: dsr-l2
        maglev-table-size: 251
        reals:
          - address: 198.51.100.11
            mac: 02:00:00:00:00:11
          - address: 198.51.100.12
            mac: 02:00:00:00:00:12
      - name: dns
        vip: 203.0.113.53
        port: 53
        protocol: udp
        mode: dsr-ipip
        maglev-table-size: 13
        reals:
          - address: 198.51.100.21
            mac: 02:00:00:00:00:21

    """

    /// `base` changed in every way: web's second real reweighed and a third added, dns gone,
    /// a new service, the encapsulation source moved. `lastReal` is appended to web's reals
    /// as given (e.g. one without `mac:`).
    static func everythingChanged(lastReal: String = "      - address: 198.51.100.13\n        mac: 02:00:00:00:00:13\n") -> String {
        """
        encapsulation:
          source-v4: 198.51.100.128/26
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            protocol: tcp
            mode: dsr-l2
            maglev-table-size: 251
            reals:
              - address: 198.51.100.11
                mac: 02:00:00:00:00:11
              - address: 198.51.100.12
                weight: 3
                mac: 02:00:00:00:00:12

        """ + lastReal + """
          - name: mail
            vip: 203.0.113.25
            port: 25
            protocol: tcp
            mode: dsr-l2
            maglev-table-size: 7
            reals:
              - address: 198.51.100.31
                mac: 02:00:00:00:00:31

        """
    }
}

extension Configs {
    /// NAT in every shape: `web` (dsr-l2) beside `app` (nat over lb-snat, one real with its own
    /// port), `gw` (gateway) and `app6` (IPv6 UDP nat over lb6), with a shorter TCP idle timeout.
    static let nat = """
    snat-pools:
      - name: lb-snat
        addresses: [198.51.100.3]
        ports: 20000-29999
      - name: lb6
        addresses: [2001:db8:2::3]
    nat:
      tcp-idle-timeout: 600
    services:
      - name: web
        vip: 203.0.113.10
        port: 80
        protocol: tcp
        mode: dsr-l2
        maglev-table-size: 251
        reals:
          - address: 198.51.100.11
            mac: 02:00:00:00:00:11
      - name: app
        vip: 203.0.113.20
        port: 80
        protocol: tcp
        mode: nat
        snat-pool: lb-snat
        maglev-table-size: 251
        reals:
          - address: 198.51.100.11
            port: 8080
            mac: 02:00:00:00:00:11
          - address: 198.51.100.12
            mac: 02:00:00:00:00:12
      - name: gw
        vip: 203.0.113.13
        port: 80
        protocol: tcp
        mode: gateway
        maglev-table-size: 251
        reals:
          - address: 198.51.100.13
            mac: 02:00:00:00:00:13
      - name: app6
        vip: 2001:db8::20
        port: 53
        protocol: udp
        mode: nat
        snat-pool: lb6
        maglev-table-size: 13
        reals:
          - address: 2001:db8:2::11
            port: 5353
            mac: 02:00:00:00:00:31

    """
}
