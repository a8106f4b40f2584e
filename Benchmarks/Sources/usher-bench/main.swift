import Foundation
import UsherBenchKit

exit(BenchCommand.main(Array(CommandLine.arguments.dropFirst())))
