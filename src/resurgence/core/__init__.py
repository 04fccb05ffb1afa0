"""The shared vocabulary every layer speaks: parameters, draws, the state's specification,
the compiled model's shape and the random streams. It imports nothing else of the
package but its leaves (errors, limits, months, posterior)."""
