import UsherCore
import UsherBPF
