extension BalancerConfig {
    /// Throws every problem `ConfigValidator` finds (field paths, no lines); returns if the
    /// config can be applied. For configs built or edited in memory, e.g. by `usher real add`.
    public func validate() throws(ConfigErrors) {
        let errors = ConfigValidator.validate(self)
        if !errors.isEmpty { throw ConfigErrors(errors: errors) }
    }
}
